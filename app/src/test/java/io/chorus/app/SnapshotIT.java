package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.api.message.SendReceiptView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.common.caching.Cache;
import org.axonframework.spring.eventsourcing.SpringAggregateSnapshotter;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.TestPropertySource;

/**
 * Snapshots are taken as a group grows, from the state the command side holds, equal to one replayed from the group's
 * events; and a group loaded from one decides exactly as before.
 */
@ChorusIT
// every group's first snapshot at the threshold (not spread by a phase of its own): the tests know where it is
@TestPropertySource(properties = {"chorus.commands.snapshot-threshold=25", "chorus.commands.spread-snapshots=false"})
class SnapshotIT {

    /** Rounds of the race below: before the fix, 15 rounds caught it in two runs of three, 40 in two of two. */
    private static final int ROUNDS = 40;

    @Autowired
    CommandGateway gateway;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    @Qualifier("groupCache")
    Cache groupCache;

    @Autowired
    SpringAggregateSnapshotter replayingSnapshotter;

    @Autowired
    MeterRegistry meters;

    @Autowired
    @Qualifier("snapshotExecutor")
    ExecutorService snapshotExecutor;

    @Test
    void aSnapshotIsTheHeldStateOfTheGroupAndEqualsOneReplayedFromItsEvents() throws Exception {
        // given a group whose 25th event (sequence number 24) crosses the snapshot threshold, and no event after it
        double heldBefore = snapshots("held");
        double replayedBefore = snapshots("replayed");
        String group = "held-" + UUID.randomUUID().toString().substring(0, 8);
        gateway.sendAndWait(new CreateGroupCommand(group, "Held", Visibility.OPEN, "alice", Instant.now()));
        for (int i = 0; i < 24; i++) {
            gateway.sendAndWait(new SendMessageCommand(group, "alice", "m-" + i, "text " + i, null, Instant.now()));
        }

        // when the snapshot is stored
        await().atMost(Duration.ofSeconds(10)).until(() -> snapshotAt(group, 24) != null);
        await().atMost(Duration.ofSeconds(10)).until(() -> snapshots("held") > heldBefore);
        String held = snapshotAt(group, 24);
        String heldType = snapshotType(group);

        // then it came from the held state, and Axon's snapshotter, replaying the group's events, takes the same one
        assertThat(snapshots("replayed")).isEqualTo(replayedBefore);
        jdbc.update("delete from snapshot_event_entry where aggregate_identifier = ?", group);
        replayingSnapshotter.scheduleSnapshot(Class.forName("io.chorus.command.group.GroupAggregate"), group);
        await().atMost(Duration.ofSeconds(10)).until(() -> snapshotAt(group, 24) != null);
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(snapshotAt(group, 24))).isEqualTo(json.readTree(held));
        assertThat(snapshotType(group)).isEqualTo(heldType).isNotBlank();
        assertThat(held).contains("\"members\"", "\"recentSends\"", "m-23\"");

        // and once the group is loaded from that snapshot, its trigger asks while a command prepares its commit, and
        // that snapshot too is the held state: a group loaded from it decides as before
        groupCache.removeAll();
        for (int i = 24; i < 54; i++) {
            gateway.sendAndWait(new SendMessageCommand(group, "alice", "m-" + i, "text " + i, null, Instant.now()));
        }
        // (this group's second snapshot is what is awaited: the other test's snapshots may still be stored meanwhile)
        await().atMost(Duration.ofSeconds(10)).until(() -> lastSnapshotSeq(group), last -> last > 24);
        await().atMost(Duration.ofSeconds(10)).until(() -> snapshots("held") >= heldBefore + 2);
        assertThat(snapshots("replayed")).isEqualTo(replayedBefore);
        groupCache.removeAll();
        assertThat(gateway.<SendReceiptView>sendAndWait(
                                new SendMessageCommand(group, "alice", "m-1", "text 1", null, Instant.now()))
                        .seq())
                .isEqualTo(3);
        assertThat(gateway.<SendReceiptView>sendAndWait(
                                new SendMessageCommand(group, "alice", "m-54", "text 54", null, Instant.now()))
                        .seq())
                .isEqualTo(56);
    }

    /**
     * A group loaded from its events crosses the snapshot threshold during the load, so Axon's trigger asks for the
     * snapshot at the command's clean-up, where the group's lock is already released: the next command on the group
     * then changes the same instance while its state is being serialized. A snapshot must still hold the state at its
     * own sequence number (seq = sequence number + 1), and the group must go on numbering without a repeat.
     */
    @Test
    void aGroupLoadedFromItsEventsIsSnapshottedAtItsOwnVersionWhileOtherCommandsQueueForIt() throws Exception {
        // given a group with more events than the threshold and no snapshot (40 events: 1 created, 39 sends)
        double replayedBefore = snapshots("replayed");
        String group = "race-" + UUID.randomUUID().toString().substring(0, 8);
        gateway.sendAndWait(new CreateGroupCommand(group, "Race", Visibility.OPEN, "alice", Instant.now()));
        for (int i = 0; i < 39; i++) {
            gateway.sendAndWait(new SendMessageCommand(group, "alice", "seed-" + i, "text " + i, null, Instant.now()));
        }
        ObjectMapper json = new ObjectMapper();
        ExecutorService senders = Executors.newFixedThreadPool(6);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                // (a snapshot still queued, the seeds' at 24 or an earlier round's second, would land after the
                // delete and the group would load from it, short of the threshold: this round would take none)
                snapshotsStored();
                jdbc.update("delete from snapshot_event_entry where aggregate_identifier = ?", group);
                groupCache.removeAll();

                // when six senders send at once: the first loads the group from its events, the others wait for it
                List<Future<?>> sends = new ArrayList<>();
                for (int s = 0; s < 6; s++) {
                    String id = "r" + round + "-s" + s;
                    sends.add(senders.submit(() -> gateway.sendAndWait(
                            new SendMessageCommand(group, "alice", id, "text " + id, null, Instant.now()))));
                }
                for (Future<?> send : sends) {
                    send.get(30, TimeUnit.SECONDS);
                }
                // (the first sender's event is the group's (41 + 6 * round)th: its snapshot is at that or later)
                long loadedAt = 40 + 6L * round;
                await().atMost(Duration.ofSeconds(10))
                        .alias("round " + round + "'s snapshot")
                        .until(() -> lastSnapshotSeq(group) >= loadedAt);

                // then every snapshot of the group holds the state at its own sequence number
                for (Map<String, Object> row : jdbc.queryForList(
                        "select sequence_number, convert_from(payload, 'UTF8') as state from snapshot_event_entry"
                                + " where aggregate_identifier = ?",
                        group)) {
                    long sequenceNumber = ((Number) row.get("sequence_number")).longValue();
                    assertThat(json.readTree((String) row.get("state"))
                                    .get("lastSeq")
                                    .asLong())
                            .as("round %d: the lastSeq of the snapshot at sequence number %d", round, sequenceNumber)
                            .isEqualTo(sequenceNumber + 1);
                }
            }
        } finally {
            senders.shutdownNow();
        }

        // and the group, loaded from its last snapshot, numbers its next message after all the others, with no repeat
        groupCache.removeAll();
        SendReceiptView last =
                gateway.sendAndWait(new SendMessageCommand(group, "alice", "last", "last", null, Instant.now()));
        assertThat(last.seq()).isEqualTo(40 + ROUNDS * 6 + 1);
        Map<String, Object> numbering = jdbc.queryForMap(
                "select count(*) as events, count(distinct convert_from(payload, 'UTF8')::json ->> 'seq') as seqs"
                        + " from domain_event_entry where aggregate_identifier = ?",
                group);
        assertThat(numbering).containsEntry("events", last.seq()).containsEntry("seqs", last.seq());
        // (all from the held state, taken before the lock's release: none had to be replayed from the events)
        assertThat(snapshots("replayed")).isEqualTo(replayedBefore);
    }

    /** Waits until the snapshots asked for so far are stored: the snapshot thread takes its work in order. */
    private void snapshotsStored() throws Exception {
        snapshotExecutor.submit(() -> {}).get(30, TimeUnit.SECONDS);
    }

    private double snapshots(String source) {
        Counter counter = meters.find("chorus.snapshots").tag("source", source).counter();
        return counter == null ? 0 : counter.count();
    }

    /** The sequence number of the group's latest snapshot, -1 when it has none. */
    private long lastSnapshotSeq(String group) {
        return jdbc.queryForObject(
                "select coalesce(max(sequence_number), -1) from snapshot_event_entry where aggregate_identifier = ?",
                Long.class,
                group);
    }

    private String snapshotType(String group) {
        return jdbc.queryForObject(
                "select type from snapshot_event_entry where aggregate_identifier = ?", String.class, group);
    }

    /** The payload of the group's snapshot at {@code sequenceNumber}, or null. */
    private String snapshotAt(String group, long sequenceNumber) {
        return jdbc
                .query(
                        "select convert_from(payload, 'UTF8') from snapshot_event_entry"
                                + " where aggregate_identifier = ? and sequence_number = ?",
                        (row, i) -> row.getString(1),
                        group,
                        sequenceNumber)
                .stream()
                .findFirst()
                .orElse(null);
    }

    @Test
    void groupLoadedFromASnapshotKeepsMembersSeqAndRecentSends() {
        // given a group with more events than the snapshot threshold
        String group = "snap-" + UUID.randomUUID().toString().substring(0, 8);
        gateway.sendAndWait(new CreateGroupCommand(group, "Snap", Visibility.OPEN, "alice", Instant.now()));
        for (int i = 0; i < 60; i++) {
            gateway.sendAndWait(new SendMessageCommand(group, "alice", "m-" + i, "text " + i, null, Instant.now()));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> lastSnapshotSeq(group), last -> last >= 24);
        String snapshot = jdbc.queryForObject(
                "select convert_from(payload, 'UTF8') from snapshot_event_entry where aggregate_identifier = ?"
                        + " order by sequence_number desc limit 1",
                String.class,
                group);
        assertThat(snapshot).contains("\"members\"", "\"recentSends\"", "\"alice\"");

        // when the group is evicted from the cache and loaded again (from the snapshot)
        groupCache.removeAll();
        SendReceiptView retry =
                gateway.sendAndWait(new SendMessageCommand(group, "alice", "m-0", "text 0", null, Instant.now()));
        SendReceiptView next =
                gateway.sendAndWait(new SendMessageCommand(group, "alice", "m-60", "text 60", null, Instant.now()));

        // then
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.seq()).isEqualTo(2);
        assertThat(next.duplicate()).isFalse();
        assertThat(next.seq()).isEqualTo(62);
    }
}
