package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.SendMessageCommand;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/** Concurrent sends to different groups share transactions, and every group's events stay gap-free. */
@ChorusIT
class GroupCommitIT {

    @Autowired
    CommandGateway gateway;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void concurrentSendsToManyGroupsShareCommits() throws Exception {
        // given
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> groups = new ArrayList<>();
        for (int g = 0; g < 16; g++) {
            String group = "gc-" + run + "-" + g;
            groups.add(group);
            gateway.sendAndWait(new CreateGroupCommand(group, "gc", Visibility.OPEN, "alice", Instant.now()));
        }

        // when every group gets 25 sends, all groups at once
        ExecutorService pool = Executors.newFixedThreadPool(groups.size());
        List<Future<?>> work = new ArrayList<>();
        for (String group : groups) {
            work.add(pool.submit(() -> {
                for (int i = 0; i < 25; i++) {
                    gateway.sendAndWait(new SendMessageCommand(group, "alice", "m-" + i, "hi", null, Instant.now()));
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        pool.shutdown();

        // then
        int events = jdbc.queryForObject(
                "select count(*) from domain_event_entry where aggregate_identifier like ?",
                Integer.class,
                "gc-" + run + "-%");
        int transactions = jdbc.queryForObject(
                "select count(distinct tx_id) from domain_event_entry where aggregate_identifier like ?",
                Integer.class,
                "gc-" + run + "-%");
        assertThat(events).isEqualTo(16 * 26);
        assertThat(transactions).isLessThan(events);
        for (String group : groups) {
            List<Long> seqs = jdbc.queryForList(
                    "select sequence_number + 1 from domain_event_entry where aggregate_identifier = ?"
                            + " order by sequence_number",
                    Long.class,
                    group);
            assertThat(seqs).isEqualTo(LongStream.rangeClosed(1, 26).boxed().toList());
        }
    }
}
