package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.eventstore.ChorusEventStore;
import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.eventhandling.SimpleEventHandlerInvoker;
import org.axonframework.eventhandling.pooled.PooledStreamingEventProcessor;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.StreamableMessageSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A real streaming processor on the commit-ordered stream: every event handled once and per group in seq order
 * while segments are merged and split, and token resets to the tail, the head and a point in time.
 */
@ChorusIT
class EventStreamProcessorIT {

    @Autowired
    EventStore eventStore;

    @Autowired
    EventStorageEngine engine;

    @Autowired
    TokenStore tokenStore;

    @Autowired
    TransactionManager transactionManager;

    @Autowired
    CommandGateway gateway;

    final String run = UUID.randomUUID().toString().substring(0, 8);
    final List<String> groups = List.of("ps-" + run + "-a", "ps-" + run + "-b", "ps-" + run + "-c", "ps-" + run + "-d");
    final List<MessageSentEvent> handled = new CopyOnWriteArrayList<>();
    PooledStreamingEventProcessor processor;
    int sent;

    class Recorder {
        @EventHandler
        void on(MessageSentEvent event) {
            if (groups.contains(event.groupId())) {
                handled.add(event);
            }
        }
    }

    @BeforeEach
    void setUp() {
        processor = PooledStreamingEventProcessor.builder()
                .name("stream-it-" + run)
                .eventHandlerInvoker(SimpleEventHandlerInvoker.builder()
                        .eventHandlers(new Recorder())
                        .build())
                .errorHandler(PropagatingErrorHandler.instance())
                .messageSource((StreamableMessageSource) eventStore)
                .tokenStore(tokenStore)
                .transactionManager(transactionManager)
                .coordinatorExecutor(Executors.newSingleThreadScheduledExecutor())
                .workerExecutor(Executors.newScheduledThreadPool(2))
                .initialSegmentCount(2)
                .initialToken(StreamableMessageSource::createHeadToken)
                .tokenClaimInterval(100)
                .claimExtensionThreshold(100)
                .build();
        groups.forEach(
                g -> gateway.sendAndWait(new CreateGroupCommand(g, "stream", Visibility.OPEN, "alice", Instant.now())));
    }

    @AfterEach
    void tearDown() {
        processor.shutDown();
    }

    private void sendRound(int perGroup) {
        for (int i = 0; i < perGroup; i++) {
            for (String group : groups) {
                gateway.sendAndWait(new SendMessageCommand(group, "alice", "m-" + sent, "text", null, Instant.now()));
                sent++;
            }
        }
    }

    private void awaitHandled(int count) {
        await().atMost(Duration.ofSeconds(20)).until(handled::size, n -> n >= count);
    }

    /**
     * Waits for {@code count} different events: a merge or split may hand the batch in flight over once more, and a
     * count with those repeats in it can be reached while the last event is still on its way.
     */
    private void awaitDistinct(int count) {
        await().atMost(Duration.ofSeconds(20))
                .until(
                        () -> handled.stream()
                                .map(e -> e.groupId() + "#" + e.seq())
                                .distinct()
                                .count(),
                        n -> n >= count);
    }

    @Test
    void everyEventOnceAndInOrderWhileSegmentsMergeAndSplit() {
        // given
        assertThat(engine).isInstanceOf(CommitOrderedEventStorageEngine.class);
        assertThat(eventStore).isInstanceOf(ChorusEventStore.class);
        processor.start();
        await().until(() -> processor.processingStatus().size() == 2);

        // when
        sendRound(10);
        awaitDistinct(40);
        assertThat(processor.mergeSegment(0))
                .succeedsWithin(Duration.ofSeconds(20))
                .isEqualTo(true);
        await().until(() -> processor.processingStatus().size() == 1);
        sendRound(10);
        awaitDistinct(80);
        assertThat(processor.splitSegment(0))
                .succeedsWithin(Duration.ofSeconds(20))
                .isEqualTo(true);
        await().until(() -> processor.processingStatus().size() == 2);
        sendRound(10);
        awaitDistinct(120);

        // then every event arrived, each group in seq order; Axon may deliver the batch in flight at a merge or
        // split once more (at least once, which is why Chorus's projections are idempotent), never an older one
        Map<String, List<Long>> seqsPerGroup = seqsPerGroup(handled);
        assertThat(seqsPerGroup).hasSize(groups.size());
        seqsPerGroup.forEach((group, seqs) -> {
            assertThat(seqs).as("seqs of %s", group).isSorted();
            assertThat(seqs.stream().distinct().toList()).isEqualTo(range(2, 31));
        });
    }

    @Test
    void resetsToTailHeadAndAPointInTime() {
        // given a first round, a point in time, and a second round
        processor.start();
        sendRound(5);
        awaitHandled(20);
        Instant between = Instant.now();
        await().until(() -> Instant.now().isAfter(between.plusMillis(50)));
        sendRound(5);
        awaitHandled(40);

        // when reset to the tail: everything again
        processor.shutDown();
        processor.resetTokens(StreamableMessageSource::createTailToken);
        processor.start();
        awaitHandled(80);
        assertOncePerSeqAndInOrder(handled.subList(40, 80), 11);

        // when reset to the point in time: only the second round again
        processor.shutDown();
        handled.clear();
        processor.resetTokens(source -> source.createTokenAt(between));
        processor.start();
        awaitHandled(20);
        assertThat(handled).hasSize(20).allSatisfy(e -> assertThat(e.sentAt()).isAfterOrEqualTo(between));

        // when reset to the head: nothing old, only what comes next
        processor.shutDown();
        handled.clear();
        processor.resetTokens(StreamableMessageSource::createHeadToken);
        processor.start();
        sendRound(1);
        awaitHandled(4);
        assertThat(handled)
                .hasSize(4)
                .allSatisfy(e -> assertThat(e.clientMessageId()).isIn("m-40", "m-41", "m-42", "m-43"));
    }

    private static Map<String, List<Long>> seqsPerGroup(List<MessageSentEvent> events) {
        return events.stream()
                .collect(Collectors.groupingBy(
                        MessageSentEvent::groupId, Collectors.mapping(MessageSentEvent::seq, Collectors.toList())));
    }

    private static List<Long> range(long first, long last) {
        List<Long> range = new ArrayList<>();
        for (long s = first; s <= last; s++) {
            range.add(s);
        }
        return range;
    }

    private void assertOncePerSeqAndInOrder(List<MessageSentEvent> events, long lastSeq) {
        Map<String, List<Long>> seqsPerGroup = seqsPerGroup(events);
        assertThat(seqsPerGroup).hasSize(groups.size());
        seqsPerGroup.forEach(
                (group, seqs) -> assertThat(seqs).as("seqs of %s", group).isEqualTo(range(2, lastSeq)));
    }
}
