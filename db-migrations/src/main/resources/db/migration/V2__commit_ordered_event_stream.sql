-- Chorus reads the event stream in commit order (see io.chorus.eventstore.CommitOrderedEventStorageEngine).
--
-- Each event records the id of the transaction that wrote it. A reader takes only events whose transaction id
-- is below the oldest transaction still running (the xmin of its snapshot): those transactions have all ended,
-- so no event can appear before them any more. Read in (tx_id, global_index) order, the stream is fixed once
-- read: a committed event is never skipped, however late its transaction commits, and never delivered twice.
alter table domain_event_entry
    add column tx_id bigint not null default pg_current_xact_id()::text::bigint;

-- Events are appended by Axon's JDBC engine, which leaves the index to the database.
alter table domain_event_entry
    alter column global_index set default nextval('domain_event_entry_seq');
alter sequence domain_event_entry_seq owned by domain_event_entry.global_index;

create index domain_event_entry_commit_order on domain_event_entry (tx_id, global_index);
