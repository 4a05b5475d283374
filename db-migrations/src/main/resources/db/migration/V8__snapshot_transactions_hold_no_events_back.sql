-- A transaction that stores a group's snapshot writes no event either, so the event stream need not wait for it
-- (see V6 and io.chorus.eventstore.CommitOrderedEventStorageEngine). Snapshots are stored on the snapshot thread, in
-- a transaction of their own: a busy group's snapshot is up to a few hundred KB of bytea to write and flush, and
-- while it ran every event committed after it, of every group, waited behind it (bench/push-benchmark.sh, a latency
-- run in which a hundred groups crossed the snapshot threshold together: the stream readers' held-back waits had a
-- p99 of up to 28-90 ms; 4.2 ms with this and the spread snapshots of CommitTimeSnapshotTriggerDefinition).
--
-- The same rule as V6 then holds for it: once a transaction has stored a snapshot it cannot append an event, and a
-- transaction that has appended events is not marked by storing a snapshot afterwards.

create trigger chorus_read_model_transaction before insert or update or delete on snapshot_event_entry
    for each statement execute function chorus_read_model_transaction();
