package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.GroupCreatedEvent;
import io.chorus.api.group.Visibility;
import io.chorus.eventstore.ChorusEventStore;
import io.chorus.eventstore.CommitOrderToken;
import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import io.chorus.eventstore.EventStreamListener;
import io.chorus.eventstore.EventStreamNotifier;
import io.chorus.eventstore.PostgresEventStoreConfiguration;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.common.stream.BlockingStream;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.serialization.Serializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A follower of the stream learns of an append within milliseconds, whether the append happened in this process
 * or in another one on the same database (LISTEN/NOTIFY), and still finds it by polling if the notice is lost.
 * The fetch delay (the polling safety net) is set to 4 s here, so a fast arrival can only come from a wake-up.
 */
@ChorusIT
@TestPropertySource(properties = "chorus.event-store.fetch-delay=4s")
class EventStreamWakeUpIT {

    private static final Duration POLL = Duration.ofSeconds(4);

    @Autowired
    EventStore eventStore;

    @Autowired
    CommandGateway gateway;

    @Autowired
    DataSource dataSource;

    @Autowired
    Serializer serializer;

    @Autowired
    TransactionManager axonTransactions;

    @Autowired
    PlatformTransactionManager springTransactions;

    /** Stands for another Chorus process: its own engine and notifier on the same database. */
    EventStorageEngine otherProcess;

    EventStreamNotifier otherNotifier;
    BlockingStream<TrackedEventMessage<?>> follower;

    @BeforeEach
    void setUp() throws Exception {
        otherProcess = CommitOrderedEventStorageEngine.create(
                PostgresEventStoreConfiguration.jdbcEngine(dataSource, serializer, serializer, 100),
                axonTransactions,
                Duration.ofMillis(200));
        otherNotifier = new EventStreamNotifier(dataSource, "chorus_events");
        follower = eventStore.openStream(eventStore.createHeadToken());
        // let the follower settle into waiting for new events (skipping any left by other tests' processors)
        while (follower.hasNextAvailable(300, TimeUnit.MILLISECONDS)) {
            follower.nextAvailable();
        }
    }

    @AfterEach
    void tearDown() {
        follower.close();
        otherNotifier.close();
    }

    @Test
    void appendInThisProcessArrivesWithinMilliseconds() throws Exception {
        for (int i = 0; i < 3; i++) {
            // given
            String group = "wake-" + UUID.randomUUID().toString().substring(0, 8);

            // when
            long start = System.nanoTime();
            gateway.sendAndWait(new CreateGroupCommand(group, "w", Visibility.OPEN, "alice", Instant.now()));
            TrackedEventMessage<?> event = nextWithin(Duration.ofSeconds(10));
            Duration latency = Duration.ofNanos(System.nanoTime() - start);

            // then
            assertThat(((GroupCreatedEvent) event.getPayload()).groupId()).isEqualTo(group);
            assertThat(latency).isLessThan(POLL.dividedBy(4));
        }
    }

    @Test
    void appendInAnotherProcessArrivesWithinMillisecondsThroughNotify() throws Exception {
        for (int i = 0; i < 3; i++) {
            // given
            String marker = "elsewhere-" + UUID.randomUUID();

            // when
            long committed = appendElsewhere(marker);
            otherNotifier.appended();
            TrackedEventMessage<?> event = nextWithin(Duration.ofSeconds(10));
            Duration latency = Duration.ofNanos(System.nanoTime() - committed);

            // then
            assertThat(event.getPayload()).isEqualTo(marker);
            assertThat(latency).isLessThan(POLL.dividedBy(4));
        }
    }

    @Test
    void appendElsewhereWhoseNoticeIsLostStillArrivesByPolling() throws Exception {
        // given
        String marker = "unannounced-" + UUID.randomUUID();

        // when nothing tells this process
        appendElsewhere(marker);
        TrackedEventMessage<?> event = nextWithin(POLL.multipliedBy(3));

        // then
        assertThat(event.getPayload()).isEqualTo(marker);
    }

    @Test
    void aReaderOpenedAtTheHeadIsWokenEvenWhenNoOtherReaderSharesTheCache() throws Exception {
        // given a node whose cache holds an event that its only reader has read before leaving
        ChorusEventStore node = nodeOnOtherProcess(POLL);
        try {
            String cached = "cached-" + UUID.randomUUID();
            readThroughAnotherReader(node, cached);
            BlockingStream<TrackedEventMessage<?>> alone = node.openStream(node.createHeadToken());
            CompletableFuture<Outcome> reader = waitingReader(alone, Duration.ofSeconds(10));

            // when
            String marker = "head-" + UUID.randomUUID();
            long committed = appendElsewhere(marker);
            node.wake();

            // then
            assertFoundWithin(reader, alone, committed, marker, POLL.dividedBy(4));
            alone.close();
        } finally {
            node.shutDown();
        }
    }

    @Test
    void aReaderThatMissesItsSignalLooksAgainAfterOneFetchDelay() throws Exception {
        // given a reader at a position that no cached event has, so that it reads on its own and nothing signals it
        Duration fetchDelay = Duration.ofMillis(300);
        ChorusEventStore node = nodeOnOtherProcess(fetchDelay);
        try {
            TrackedEventMessage<?> last = readThroughAnotherReader(node, "cached-" + UUID.randomUUID());
            CommitOrderToken afterLast =
                    new CommitOrderToken(((CommitOrderToken) last.trackingToken()).txId(), Long.MAX_VALUE);
            BlockingStream<TrackedEventMessage<?>> alone = node.openStream(afterLast);
            CompletableFuture<Outcome> reader = waitingReader(alone, Duration.ofSeconds(10));

            // when
            String marker = "unsignalled-" + UUID.randomUUID();
            long committed = appendElsewhere(marker);

            // then it is found within a few fetch delays, not at the end of its 10 s wait
            assertFoundWithin(reader, alone, committed, marker, fetchDelay.multipliedBy(4));
            alone.close();
        } finally {
            node.shutDown();
        }
    }

    @Test
    void aProcessIsNotWokenByItsOwnNotices() {
        // given two listeners on a channel of this test: one wakes for every notice, one only for other processes'
        String channel = "chorus_wake_test";
        EventStreamNotifier own = new EventStreamNotifier(dataSource, channel);
        EventStreamNotifier elsewhere = new EventStreamNotifier(dataSource, channel);
        AtomicInteger allNotices = new AtomicInteger();
        AtomicInteger wakeUps = new AtomicInteger();
        try (EventStreamListener everyNotice =
                        new EventStreamListener(dataSource, channel, allNotices::incrementAndGet, pid -> false);
                EventStreamListener listener =
                        new EventStreamListener(dataSource, channel, wakeUps::incrementAndGet, own::sentBy)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> everyNotice.isListening() && listener.isListening());
            await().atMost(Duration.ofSeconds(10)).until(() -> allNotices.get() == 1 && wakeUps.get() == 1);

            // when this process sends notices, each seen on the channel before the next, and then another one does
            for (int i = 1; i <= 5; i++) {
                own.appended();
                int seen = 1 + i;
                await().atMost(Duration.ofSeconds(10)).until(() -> allNotices.get() == seen);
            }
            elsewhere.appended();

            // then only the other process's notice woke the listener (its notices arrive in commit order)
            await().atMost(Duration.ofSeconds(10)).until(() -> allNotices.get() == 7);
            await().atMost(Duration.ofSeconds(10)).until(() -> wakeUps.get() >= 2);
            assertThat(wakeUps.get()).isEqualTo(2);
        } finally {
            own.close();
            elsewhere.close();
        }
    }

    @Test
    void aProcessSendsNoNoticeWhileNoOtherProcessListens() {
        // given a process's notifier and its own listener on a channel of this test, and no other listener
        String channel = "chorus_alone_test";
        EventStreamNotifier notifier = new EventStreamNotifier(dataSource, channel);
        AtomicInteger ownWakeUps = new AtomicInteger();
        try (EventStreamListener own = new EventStreamListener(
                dataSource, channel, ownWakeUps::incrementAndGet, notifier::sentBy, notifier::listenerAt)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> own.isListening() && ownWakeUps.get() == 1);

            // when it commits: the first commit has the notifier look whether anyone else listens
            notifier.appended();
            await().atMost(Duration.ofSeconds(10)).until(() -> notifier.requestsHandled() == 1);

            // then it sent no notice, and the commits that follow within the look's interval do not wake it at all
            assertThat(notifier.noticesSent()).isZero();
            for (int i = 0; i < 3; i++) {
                notifier.appended();
                await().pollInterval(Duration.ofMillis(10))
                        .during(Duration.ofMillis(100))
                        .atMost(Duration.ofMillis(500))
                        .until(() -> notifier.requestsHandled() == 1);
            }
            assertThat(notifier.noticesSent()).isZero();

            // and once another process listens, its commits reach that process
            AtomicInteger otherWakeUps = new AtomicInteger();
            try (EventStreamListener other =
                    new EventStreamListener(dataSource, channel, otherWakeUps::incrementAndGet, pid -> false)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> other.isListening() && otherWakeUps.get() == 1);
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    notifier.appended();
                    return otherWakeUps.get() > 1;
                });
                assertThat(notifier.noticesSent()).isPositive();
                assertThat(ownWakeUps.get()).isEqualTo(1);
            }
        } finally {
            notifier.close();
        }
    }

    /** Another node's event store on the other process's engine, with its own cache and reader. */
    private ChorusEventStore nodeOnOtherProcess(Duration fetchDelay) {
        return ChorusEventStore.create(
                EmbeddedEventStore.builder()
                        .storageEngine(otherProcess)
                        .fetchDelay(fetchDelay.toMillis())
                        .cachedEvents(100),
                otherNotifier,
                fetchDelay);
    }

    /** Appends {@code marker} and has a reader at the head read it through {@code node}'s cache, then close. */
    private TrackedEventMessage<?> readThroughAnotherReader(ChorusEventStore node, String marker)
            throws InterruptedException {
        try (BlockingStream<TrackedEventMessage<?>> first = node.openStream(node.createHeadToken())) {
            assertThat(first.hasNextAvailable(100, TimeUnit.MILLISECONDS)).isFalse();
            appendElsewhere(marker);
            node.wake();
            TrackedEventMessage<?> event = nextWithin(first, Duration.ofSeconds(10));
            assertThat(event.getPayload()).isEqualTo(marker);
            return event;
        }
    }

    /**
     * The waiting {@code reader} found an event less than {@code within} after {@code marker} was committed (at
     * {@code committed}), and it is {@code marker}.
     */
    private static void assertFoundWithin(
            CompletableFuture<Outcome> reader,
            BlockingStream<TrackedEventMessage<?>> stream,
            long committed,
            String marker,
            Duration within)
            throws Exception {
        Outcome outcome = reader.get(30, TimeUnit.SECONDS);
        assertThat(outcome.available()).isTrue();
        assertThat(Duration.ofNanos(outcome.returnedAt() - committed)).isLessThan(within);
        assertThat(stream.nextAvailable().getPayload()).isEqualTo(marker);
    }

    /** What a reader's {@code hasNextAvailable} answered, and when it returned. */
    private record Outcome(boolean available, long returnedAt) {}

    /** A thread waiting in {@code hasNextAvailable}; returned once it waits. */
    private static CompletableFuture<Outcome> waitingReader(
            BlockingStream<TrackedEventMessage<?>> stream, Duration timeout) {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                boolean available = stream.hasNextAvailable((int) timeout.toMillis(), TimeUnit.MILLISECONDS);
                outcome.complete(new Outcome(available, System.nanoTime()));
            } catch (Throwable e) {
                outcome.completeExceptionally(e);
            }
        });
        thread.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> thread.getState() == Thread.State.TIMED_WAITING);
        return outcome;
    }

    private long appendElsewhere(String marker) {
        new TransactionTemplate(springTransactions)
                .executeWithoutResult(status ->
                        otherProcess.appendEvents(new GenericDomainEventMessage<>("wake-test", marker, 0, marker)));
        return System.nanoTime();
    }

    /** Axon's stream may also return early without an event (woken for another reader): ask until the deadline. */
    private TrackedEventMessage<?> nextWithin(Duration timeout) throws InterruptedException {
        return nextWithin(follower, timeout);
    }

    private static TrackedEventMessage<?> nextWithin(BlockingStream<TrackedEventMessage<?>> follower, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean available = false;
        while (!available && System.nanoTime() < deadline) {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            available = follower.hasNextAvailable((int) left, TimeUnit.MILLISECONDS);
        }
        assertThat(available).as("an event within %s", timeout).isTrue();
        return follower.nextAvailable();
    }
}
