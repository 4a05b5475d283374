package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.GroupCreatedEvent;
import io.chorus.api.group.Visibility;
import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import io.chorus.eventstore.EventStreamNotifier;
import io.chorus.eventstore.PostgresEventStoreConfiguration;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.common.stream.BlockingStream;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
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

    private long appendElsewhere(String marker) {
        new TransactionTemplate(springTransactions)
                .executeWithoutResult(status ->
                        otherProcess.appendEvents(new GenericDomainEventMessage<>("wake-test", marker, 0, marker)));
        return System.nanoTime();
    }

    /** Axon's stream may also return early without an event (woken for another reader): ask until the deadline. */
    private TrackedEventMessage<?> nextWithin(Duration timeout) throws InterruptedException {
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
