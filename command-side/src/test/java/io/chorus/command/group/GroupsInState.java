package io.chorus.command.group;

import io.chorus.api.group.GroupCreatedEvent;
import io.chorus.api.group.MemberJoinedEvent;
import io.chorus.api.group.Role;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.MessageSentEvent;
import java.time.Instant;
import java.util.UUID;

/** Groups built from their events, for tests of the machinery around the aggregate (its cache, snapshots). */
public final class GroupsInState {

    /** How many sends a group remembers for deduplication, and in how many bytes at most. */
    public static final int WINDOW_CAPACITY = RecentSends.CAPACITY;

    public static final long WINDOW_MAX_BYTES = RecentSends.MAX_BYTES;

    private GroupsInState() {}

    /** A group just created by {@code user-0}. */
    public static GroupAggregate created(String groupId, Instant at) {
        GroupAggregate group = new GroupAggregate();
        group.on(new GroupCreatedEvent(groupId, 1, "Small", Visibility.OPEN, "user-0", at));
        return group;
    }

    /** A group of 50 senders whose dedupe window is full, with ids of a usual size (a UUID per send). */
    public static GroupAggregate full(String groupId, Instant at) {
        GroupAggregate group = new GroupAggregate();
        group.on(new GroupCreatedEvent(groupId, 1, "Full", Visibility.OPEN, "user-0", at));
        for (int u = 1; u < 50; u++) {
            group.on(new MemberJoinedEvent(groupId, u + 1, "user-" + u, Role.MEMBER, null, at));
        }
        for (int i = 0; i < RecentSends.CAPACITY; i++) {
            String clientId = UUID.randomUUID().toString();
            group.on(new MessageSentEvent(
                    groupId, 51 + i, "m-" + i, clientId, "user-" + (i % 50), "text " + i, null, at));
        }
        return group;
    }
}
