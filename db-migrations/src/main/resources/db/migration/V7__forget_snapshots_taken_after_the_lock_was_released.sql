-- Until this version a group loaded from its events past the snapshot threshold was snapshotted at the command's
-- clean-up, after the group's lock had been released: the group's next command could change the state while it was
-- serialized, and the snapshot then held the state before an event at that event's sequence number (its next event
-- repeated a seq). Snapshots are only a shortcut for loading a group: forgetting them all loses nothing, the next
-- loads read the events and new snapshots are taken as the groups grow.
delete from snapshot_event_entry;
