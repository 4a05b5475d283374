package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import io.chorus.eventstore.PostgresEventStoreConfiguration;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventData;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * How many queries a reader of the commit-ordered stream costs: a read that finds fewer events than a batch holds
 * ends there, with no transaction around its one statement, and a longer one reads batch after batch, every event
 * once and in order.
 */
@ChorusIT
class CommitOrderedReadsIT {

    private static final int BATCH = 10;

    @Autowired
    DataSource dataSource;

    @Autowired
    Serializer serializer;

    @Autowired
    TransactionManager axonTransactions;

    @Autowired
    PlatformTransactionManager springTransactions;

    final AtomicInteger fetches = new AtomicInteger();
    final AtomicInteger transactions = new AtomicInteger();

    /** An engine on the app's database with batches of {@link #BATCH}, counting its stream queries and transactions. */
    CommitOrderedEventStorageEngine engine() {
        TransactionManager counting = () -> {
            transactions.incrementAndGet();
            return axonTransactions.startTransaction();
        };
        return new CommitOrderedEventStorageEngine(
                PostgresEventStoreConfiguration.jdbcEngine(dataSource, serializer, serializer, BATCH),
                counting,
                Duration.ofMillis(200)) {
            @Override
            protected List<TrackedEventData<?>> fetchTrackedEvents(TrackingToken lastToken, int batchSize) {
                fetches.incrementAndGet();
                return super.fetchTrackedEvents(lastToken, batchSize);
            }
        };
    }

    @Test
    void aReadFindingLessThanABatchCostsOneQueryAndNoTransaction() {
        // given
        CommitOrderedEventStorageEngine engine = engine();
        TrackingToken head = engine.createHeadToken();
        List<String> appended = append(engine, 3);
        awaitFinal(engine, head, appended);

        // when
        fetches.set(0);
        transactions.set(0);
        List<Object> read = payloads(engine, head);

        // then one statement, with no transaction around it (its COMMIT was a second round trip per read)
        assertThat(read).containsExactlyElementsOf(appended);
        assertThat(fetches).hasValue(1);
        assertThat(transactions).hasValue(0);
    }

    @Test
    void aLongerReadGoesOnBatchByBatch() {
        // given
        CommitOrderedEventStorageEngine engine = engine();
        TrackingToken head = engine.createHeadToken();
        List<String> appended = append(engine, 2 * BATCH + 5);
        awaitFinal(engine, head, appended);

        // when
        fetches.set(0);
        List<Object> read = payloads(engine, head);

        // then three batches: 10, 10 and 5 events
        assertThat(read).containsExactlyElementsOf(appended);
        assertThat(fetches).hasValue(3);
    }

    @Test
    void aReaderWaitsForAnOlderOpenTransactionAndReportsHowLong() throws Exception {
        // given an open transaction that holds a transaction id, and an event committed after it
        CommitOrderedEventStorageEngine engine = engine();
        List<Long> waits = new CopyOnWriteArrayList<>();
        engine.observeHeldBack(waits::add);
        TrackingToken head = engine.createHeadToken();
        try (Connection older = dataSource.getConnection()) {
            older.setAutoCommit(false);
            try (Statement statement = older.createStatement()) {
                statement.execute("SELECT pg_current_xact_id()");
            }
            List<String> appended = append(engine, 1);

            // when
            List<Object> whileOpen = payloads(engine, head);
            older.commit();
            List<Object> afterwards = payloads(engine, head);

            // then the event waited behind the older transaction, for the engine's held-back wait (200 ms), and came
            assertThat(whileOpen).isEmpty();
            assertThat(waits).hasSize(1);
            assertThat(Duration.ofNanos(waits.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(200));
            assertThat(afterwards).containsExactlyElementsOf(appended);
        }
    }

    /**
     * Waits until the stream after {@code head} holds {@code appended}: another test's transaction that was open when
     * they committed (a projection's, say) holds them back until it ends, and the reads counted here should not count
     * that wait.
     */
    private static void awaitFinal(CommitOrderedEventStorageEngine engine, TrackingToken head, List<String> appended) {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> payloads(engine, head).containsAll(appended));
    }

    /** The payloads of the stream after {@code after}, read once through {@code engine}. */
    static List<Object> payloads(CommitOrderedEventStorageEngine engine, TrackingToken after) {
        return engine.readEvents(after, false)
                .<Object>map(TrackedEventMessage::getPayload)
                .toList();
    }

    /** {@code count} events of one aggregate, committed one transaction each. */
    private List<String> append(CommitOrderedEventStorageEngine engine, int count) {
        String aggregate = "reads-" + UUID.randomUUID();
        List<String> payloads = new ArrayList<>();
        IntStream.range(0, count).forEach(i -> {
            String payload = aggregate + "-" + i;
            new TransactionTemplate(springTransactions)
                    .executeWithoutResult(status ->
                            engine.appendEvents(new GenericDomainEventMessage<>("reads-test", aggregate, i, payload)));
            payloads.add(payload);
        });
        return payloads;
    }
}
