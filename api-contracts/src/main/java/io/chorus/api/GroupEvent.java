package io.chorus.api;

/**
 * An event of one group. {@code seq} is its position in the group's history: the group's first event has seq 1
 * and every later event the next integer, with no gap. Consumers apply a group's events in seq order and may drop
 * any event whose seq they have already applied.
 */
public interface GroupEvent {

    String groupId();

    long seq();
}
