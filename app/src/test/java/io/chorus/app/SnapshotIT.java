package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.api.message.SendReceiptView;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.common.caching.Cache;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.TestPropertySource;

/** Snapshots are taken as a group grows and a group loaded from one decides exactly as before. */
@ChorusIT
@TestPropertySource(properties = "chorus.commands.snapshot-threshold=25")
class SnapshotIT {

    @Autowired
    CommandGateway gateway;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    @Qualifier("groupCache")
    Cache groupCache;

    @Test
    void groupLoadedFromASnapshotKeepsMembersSeqAndRecentSends() {
        // given a group with more events than the snapshot threshold
        String group = "snap-" + UUID.randomUUID().toString().substring(0, 8);
        gateway.sendAndWait(new CreateGroupCommand(group, "Snap", Visibility.OPEN, "alice", Instant.now()));
        for (int i = 0; i < 60; i++) {
            gateway.sendAndWait(new SendMessageCommand(group, "alice", "m-" + i, "text " + i, null, Instant.now()));
        }
        await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> jdbc.queryForObject(
                                "select coalesce(max(sequence_number), -1) from snapshot_event_entry"
                                        + " where aggregate_identifier = ?",
                                Long.class,
                                group),
                        last -> last >= 24);
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
