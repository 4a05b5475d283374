-- A transaction that writes a read model (a projection's rows, a processor's token or dead letter) writes no event,
-- so the event stream need not wait for it (see io.chorus.eventstore.CommitOrderedEventStorageEngine).
--
-- A reader of the stream takes only events whose transaction id is below every transaction still running, because
-- a running transaction may yet commit events that belong before them. Most of those running transactions are
-- projections' (measured under load: 98% of the reader's waits were behind one). Such a transaction now says so,
-- for as long as it runs, in its application_name ('chorus-read-model:' before the connection's own name), which
-- other sessions see in pg_stat_activity beside its transaction id; a reader that finds events held back leaves
-- those transactions out and waits only for the others.
--
-- The rule that makes this safe, kept here by the database whoever the writer is: a transaction that says it
-- writes no event never does (an append raises), and one that has appended an event never says so. One way around
-- it is left open, as the mark is a transaction-local setting: a read-model write inside a savepoint that is then
-- rolled back takes the mark with it, and the transaction could append afterwards while a reader had already left it
-- out. Chorus never appends in a transaction that writes a read model; tools writing to these tables must not either.

create function chorus_read_model_transaction() returns trigger
    language plpgsql as
$$
begin
    if coalesce(current_setting('chorus.appended_events', true), '') <> 'on'
            and current_setting('application_name') not like 'chorus-read-model:%' then
        perform set_config('application_name', 'chorus-read-model:' || current_setting('application_name'), true);
    end if;
    return null;
end
$$;

create function chorus_event_append() returns trigger
    language plpgsql as
$$
begin
    if current_setting('application_name') like 'chorus-read-model:%' then
        raise exception 'events cannot be appended in a transaction that has written a read model (%)',
            current_setting('application_name')
            using hint = 'append the events in a transaction of their own';
    end if;
    perform set_config('chorus.appended_events', 'on', true);
    return null;
end
$$;

create trigger chorus_event_append
    before insert on domain_event_entry
    for each statement execute function chorus_event_append();

create trigger chorus_read_model_transaction before insert or update or delete on token_entry
    for each statement execute function chorus_read_model_transaction();
create trigger chorus_read_model_transaction before insert or update or delete on dead_letter_entry
    for each statement execute function chorus_read_model_transaction();
create trigger chorus_read_model_transaction before insert or update or delete on history_group_a
    for each statement execute function chorus_read_model_transaction();
create trigger chorus_read_model_transaction before insert or update or delete on history_group_b
    for each statement execute function chorus_read_model_transaction();
create trigger chorus_read_model_transaction before insert or update or delete on history_member_a
    for each statement execute function chorus_read_model_transaction();
create trigger chorus_read_model_transaction before insert or update or delete on history_member_b
    for each statement execute function chorus_read_model_transaction();
create trigger chorus_read_model_transaction before insert or update or delete on history_message_a
    for each statement execute function chorus_read_model_transaction();
create trigger chorus_read_model_transaction before insert or update or delete on history_message_b
    for each statement execute function chorus_read_model_transaction();
create trigger chorus_read_model_transaction before insert or update or delete on read_marker_a
    for each statement execute function chorus_read_model_transaction();
create trigger chorus_read_model_transaction before insert or update or delete on read_marker_b
    for each statement execute function chorus_read_model_transaction();
