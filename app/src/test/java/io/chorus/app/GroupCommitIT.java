package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.MessageEditedEvent;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import io.chorus.eventstore.PostgresEventStoreConfiguration;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Concurrent sends to different groups share transactions, and every group's events stay gap-free; a commit whose
 * answer is lost is not written twice.
 */
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

    @Autowired
    DataSource dataSource;

    @Autowired
    Serializer serializer;

    @Autowired
    @Qualifier("eventSerializer")
    Serializer eventSerializer;

    @Autowired
    TransactionManager transactions;

    /**
     * Transactions that commit and then fail as a lost answer to COMMIT would, while {@code lost} lasts; only the
     * outermost one of a thread (the engine's own append joins it).
     */
    private TransactionManager losingAnswers(AtomicInteger lost) {
        ThreadLocal<Integer> depth = ThreadLocal.withInitial(() -> 0);
        return () -> {
            Transaction transaction = transactions.startTransaction();
            int level = depth.get() + 1;
            depth.set(level);
            return new Transaction() {
                private boolean committed;

                @Override
                public void commit() {
                    depth.set(level - 1);
                    transaction.commit();
                    committed = true;
                    if (level == 1 && lost.getAndDecrement() > 0) {
                        throw new IllegalStateException("connection lost while waiting for COMMIT's answer");
                    }
                }

                @Override
                public void rollback() {
                    depth.set(level - 1);
                    if (!committed) {
                        transaction.rollback();
                    }
                }
            };
        };
    }

    private static DomainEventMessage<?> edit(String group, long sequenceNumber) {
        return new GenericDomainEventMessage<>(
                "Group",
                group,
                sequenceNumber,
                new MessageEditedEvent(group, sequenceNumber + 1, 1, "alice", "edited", Instant.now()));
    }

    @Test
    void aCommitWhoseAnswerIsLostIsNeitherWrittenAgainNorReportedAsFailed() throws Exception {
        // given an engine whose commits answer with a failure after they have committed, shared or alone
        AtomicInteger lost = new AtomicInteger(Integer.MAX_VALUE);
        CommitOrderedEventStorageEngine engine = CommitOrderedEventStorageEngine.create(
                        PostgresEventStoreConfiguration.jdbcEngine(dataSource, serializer, eventSerializer, 100),
                        losingAnswers(lost),
                        Duration.ofMillis(200))
                .withGroupCommit(64);
        String run = UUID.randomUUID().toString().substring(0, 8);
        try {
            // when eight writers append an edit each to groups of their own at once, and one more alone
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> appends = new ArrayList<>();
            List<DomainEventMessage<?>> edits = new ArrayList<>();
            for (int g = 0; g < 8; g++) {
                DomainEventMessage<?> edit = edit("lost-" + run + "-" + g, 0);
                edits.add(edit);
                appends.add(pool.submit(() -> engine.appendEvents(List.of(edit))));
            }
            for (Future<?> append : appends) {
                // then each append succeeds: its events were stored
                append.get(30, TimeUnit.SECONDS);
            }
            pool.shutdown();
            DomainEventMessage<?> alone = edit("lost-" + run + "-alone", 0);
            edits.add(alone);
            engine.appendEvents(List.of(alone));

            // and each edit is stored once, never written a second time
            for (DomainEventMessage<?> stored : edits) {
                assertThat(jdbc.queryForObject(
                                "select count(*) from domain_event_entry where aggregate_identifier = ?",
                                Integer.class,
                                stored.getAggregateIdentifier()))
                        .isEqualTo(1);
            }
            // while an append that really failed still fails: one taking a group's position already stored
            lost.set(0);
            assertThatThrownBy(() -> engine.appendEvents(List.of(edit("lost-" + run + "-0", 0))))
                    .isInstanceOf(RuntimeException.class);
        } finally {
            engine.shutDown();
        }
    }
}
