package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import io.chorus.eventstore.PostgresEventStoreConfiguration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.serialization.Serializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A transaction that writes a read model or stores a snapshot writes no event, so the commit-ordered stream does not
 * wait for it; one that has appended events still holds back what committed after it, whatever else it writes; and a
 * read-model or snapshot transaction cannot append events, which is what makes leaving it out safe.
 */
@ChorusIT
class ReadModelTransactionsIT {

    @Autowired
    DataSource dataSource;

    @Autowired
    Serializer serializer;

    @Autowired
    TransactionManager axonTransactions;

    @Autowired
    PlatformTransactionManager springTransactions;

    @Autowired
    JdbcTemplate jdbc;

    CommitOrderedEventStorageEngine engine;
    final List<Long> waits = new CopyOnWriteArrayList<>();

    @BeforeEach
    void engine() {
        engine = CommitOrderedEventStorageEngine.create(
                        PostgresEventStoreConfiguration.jdbcEngine(dataSource, serializer, serializer, 100),
                        axonTransactions,
                        Duration.ofMillis(500))
                .observeHeldBack(waits::add);
    }

    @Test
    void anOpenReadModelTransactionHoldsNoEventBack() throws Exception {
        // given a projection's transaction, open, holding a transaction id older than the event committed after it
        TrackingToken head = engine.createHeadToken();
        try (Connection projection = dataSource.getConnection()) {
            projection.setAutoCommit(false);
            writeReadMarker(projection);
            assertThat(applicationName(projection)).startsWith("chorus-read-model:");
            String event = appendInItsOwnTransaction();

            // when
            List<Object> read = CommitOrderedReadsIT.payloads(engine, head);

            // then the event comes at once: no wait behind the projection's transaction
            assertThat(read).containsExactly(event);
            assertThat(waits).isEmpty();
            projection.rollback();
        }
    }

    @Test
    void anOpenSnapshotTransactionHoldsNoEventBack() throws Exception {
        // given a transaction that stored a group's snapshot, still open, older than the event committed after it
        TrackingToken head = engine.createHeadToken();
        String group = "snapshotted-" + UUID.randomUUID();
        try (OpenTransaction snapshot = openTransaction(
                () -> engine.storeSnapshot(new GenericDomainEventMessage<>("reads-test", group, 41, "state at 41")))) {
            String event = appendInItsOwnTransaction();

            // when
            List<Object> read = CommitOrderedReadsIT.payloads(engine, head);

            // then the event comes at once: no wait behind the snapshot's transaction
            assertThat(read).containsExactly(event);
            assertThat(waits).isEmpty();
        }
        assertThat(rows("snapshot_event_entry", "aggregate_identifier", group)).isOne();
    }

    @Test
    void aSnapshotTransactionCannotAppendEvents() {
        // given
        String group = "snapshot-then-append-" + UUID.randomUUID();

        // when a transaction stores a snapshot, then appends an event
        assertThatThrownBy(() -> new TransactionTemplate(springTransactions).executeWithoutResult(status -> {
                    engine.storeSnapshot(new GenericDomainEventMessage<>("reads-test", group, 0, "state"));
                    engine.appendEvents(new GenericDomainEventMessage<>("reads-test", group, 1, "refused"));
                }))
                // then the append fails, and the transaction leaves nothing behind
                .hasStackTraceContaining("events cannot be appended in a transaction that has written a read model");
        assertThat(rows("domain_event_entry", "aggregate_identifier", group)).isZero();
        assertThat(rows("snapshot_event_entry", "aggregate_identifier", group)).isZero();
    }

    @Test
    void aReadModelTransactionCannotAppendEvents() {
        // given
        String aggregate = "read-model-append-" + UUID.randomUUID();
        String group = "read-model-" + UUID.randomUUID();

        // when a transaction writes a read model, then appends an event
        assertThatThrownBy(() -> new TransactionTemplate(springTransactions).executeWithoutResult(status -> {
                    jdbc.update(
                            "insert into read_marker_b (group_id, user_id, read_seq) values (?, 'reader', 1)", group);
                    engine.appendEvents(new GenericDomainEventMessage<>("reads-test", aggregate, 0, "refused"));
                }))
                // then the append fails, naming why, and the transaction leaves nothing behind
                .hasStackTraceContaining("events cannot be appended in a transaction that has written a read model");
        assertThat(rows("domain_event_entry", "aggregate_identifier", aggregate))
                .isZero();
        assertThat(rows("read_marker_b", "group_id", group)).isZero();
    }

    @Test
    void aTransactionThatAppendedEventsHoldsTheStreamBackThoughItWritesAReadModelAfterwards() throws Exception {
        // given a transaction that appended an event, then wrote a read model, and is still open
        TrackingToken head = engine.createHeadToken();
        String aggregate = "appended-first-" + UUID.randomUUID();
        String younger;
        List<Object> whileOpen;
        try (OpenTransaction older = openTransaction(() -> {
            engine.appendEvents(new GenericDomainEventMessage<>("reads-test", aggregate, 0, aggregate));
            jdbc.update(
                    "insert into read_marker_b (group_id, user_id, read_seq) values (?, 'reader', 1)",
                    "appended-first-" + UUID.randomUUID());
        })) {
            younger = appendInItsOwnTransaction();

            // when read while it is open, and after it committed
            whileOpen = CommitOrderedReadsIT.payloads(engine, head);
        }
        List<Object> afterwards = CommitOrderedReadsIT.payloads(engine, head);

        // then the younger event waited behind the older transaction, and then both came, the older one first
        assertThat(whileOpen).isEmpty();
        assertThat(waits).hasSize(1);
        assertThat(afterwards).containsExactly(aggregate, younger);
    }

    /** A transaction on another thread that has done {@code work} and stays open until closed (then commits). */
    private record OpenTransaction(CountDownLatch commit, CompletableFuture<Void> transaction)
            implements AutoCloseable {
        @Override
        public void close() throws Exception {
            commit.countDown();
            transaction.get(10, TimeUnit.SECONDS);
        }
    }

    private OpenTransaction openTransaction(Runnable work) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch commit = new CountDownLatch(1);
        CompletableFuture<Void> transaction = CompletableFuture.runAsync(
                () -> new TransactionTemplate(springTransactions).executeWithoutResult(status -> {
                    work.run();
                    done.countDown();
                    await(commit);
                }));
        if (!done.await(10, TimeUnit.SECONDS)) {
            // its work failed (get throws why) or hangs
            commit.countDown();
            transaction.get(10, TimeUnit.SECONDS);
            throw new IllegalStateException("the transaction did not do its work");
        }
        return new OpenTransaction(commit, transaction);
    }

    private String appendInItsOwnTransaction() {
        String aggregate = "after-read-model-" + UUID.randomUUID();
        new TransactionTemplate(springTransactions)
                .executeWithoutResult(status ->
                        engine.appendEvents(new GenericDomainEventMessage<>("reads-test", aggregate, 0, aggregate)));
        return aggregate;
    }

    /** How many rows of {@code table} have {@code value} in {@code column}. */
    private long rows(String table, String column, String value) {
        return jdbc.queryForObject("select count(*) from " + table + " where " + column + " = ?", Long.class, value);
    }

    private static void writeReadMarker(Connection connection) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement(
                "insert into read_marker_b (group_id, user_id, read_seq) values (?, 'reader', 1)")) {
            statement.setString(1, "held-" + UUID.randomUUID());
            statement.executeUpdate();
        }
    }

    private static String applicationName(Connection connection) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement("show application_name");
                ResultSet resultSet = statement.executeQuery()) {
            resultSet.next();
            return resultSet.getString(1);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
