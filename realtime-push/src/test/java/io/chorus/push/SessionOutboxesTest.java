package io.chorus.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.push.FlushBeforeCloseTest.HeldSocket;
import io.chorus.push.PushBrokerConfiguration.FlushBeforeClose;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.util.unit.DataSize;
import org.springframework.web.socket.WebSocketHandler;

/**
 * Frames that wait in a session's queue behind a write in progress leave together, in order, in WebSocket messages of
 * at most {@link SessionOutboxes#COALESCED_LIMIT} bytes. The session underneath is a stand-in whose first write is
 * held, the one way to make frames wait (on a real socket a write takes microseconds).
 */
class SessionOutboxesTest {

    private static final Pattern SEQ = Pattern.compile("\nseq:(\\d+)\n");

    private final DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
    private final PushMetrics metrics = new PushMetrics(beans.getBeanProvider(MeterRegistry.class));
    private final SessionOutboxes outboxes = new SessionOutboxes(
            beans.getBeanProvider(WebSocketHandler.class),
            new PushProperties(
                    List.of("*"),
                    1000,
                    Duration.ofSeconds(10),
                    DataSize.ofKilobytes(64),
                    Duration.ofSeconds(10),
                    DataSize.ofKilobytes(512),
                    20,
                    100,
                    1000),
            metrics);
    private final HeldSocket socket = new HeldSocket();
    private final byte[] subscription = EventFrame.subscriptionHeaders(socket.getId(), "sub-0");

    @AfterEach
    void stop() {
        socket.release.countDown();
        outboxes.destroy();
    }

    @Test
    void framesQueuedBehindAWriteLeaveInOneMessageInSeqOrder() throws Exception {
        holdTheFirstWrite();

        // while the first frame's write is held, five more are queued
        for (int seq = 2; seq <= 6; seq++) {
            send(seq, "m" + seq);
        }
        socket.release.countDown();

        await().atMost(Duration.ofSeconds(10)).until(() -> deliveries() == 6);
        assertThat(socket.written).hasSize(2);
        assertThat(seqs(socket.written.get(0))).containsExactly(1L);
        assertThat(seqs(socket.written.get(1))).containsExactly(2L, 3L, 4L, 5L, 6L);
        assertThat(socket.written.get(1)).endsWith("{\"text\":\"m6\"}\0");
        assertThat(metrics.registry.counter("chorus.push.coalesced").count()).isEqualTo(4);
    }

    @Test
    void aBacklogLargerThanTheLimitLeavesInSeveralMessagesNoneLargerThanIt() throws Exception {
        holdTheFirstWrite();

        // forty frames of ~650 bytes behind the held write: ~26 KB, three times the limit
        for (int seq = 2; seq <= 41; seq++) {
            send(seq, "m" + seq + " " + "x".repeat(500));
        }
        socket.release.countDown();

        await().atMost(Duration.ofSeconds(10)).until(() -> deliveries() == 41);
        assertThat(socket.written).hasSizeBetween(5, 7);
        assertThat(socket.written)
                .allSatisfy(message -> assertThat(message.getBytes(StandardCharsets.UTF_8).length)
                        .isLessThanOrEqualTo(SessionOutboxes.COALESCED_LIMIT));
        assertThat(seqs(String.join("", socket.written)))
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 41).boxed().toList());
    }

    @Test
    void aQueueKeptBySubscriptionTakesFramesUntilItsSessionClosesAndAClosedSessionsTakesNone() {
        // given: a connected session whose first write is not held, and its queue as a subscription keeps it
        socket.release.countDown();
        outboxes.opened(socket);
        outboxes.writesThrough(new FlushBeforeClose(new EncodedTextSession(socket), 10_000, 512 * 1024));
        SessionOutboxes.Outbox kept = outboxes.outbox(socket.getId());

        // when
        kept.send(subscription, frame(1, "while open"));
        await().atMost(Duration.ofSeconds(10)).until(() -> deliveries() == 1);
        outboxes.closed(socket.getId());
        kept.send(subscription, frame(2, "after the close"));
        outboxes.outbox("never-connected").send(subscription, frame(3, "to nobody"));
        outboxes.outbox(socket.getId()).send(subscription, frame(4, "closed already"));

        // then: a queued frame is written within milliseconds; for half a second, nothing more is
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> socket.written.size() == 1);
        assertThat(seqs(socket.written.get(0))).containsExactly(1L);
        assertThat(deliveries()).isEqualTo(1);
    }

    /** Connects the session and sends it seq 1, whose write the socket holds until released. */
    private void holdTheFirstWrite() throws InterruptedException {
        outboxes.opened(socket);
        // as in PushBrokerConfiguration; the stand-in is not Tomcat's, so frames reach it as text messages
        outboxes.writesThrough(new FlushBeforeClose(new EncodedTextSession(socket), 10_000, 512 * 1024));
        send(1, "first");
        assertThat(socket.writing.await(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Queues a group event's frame for the session. */
    private void send(long seq, String text) {
        outboxes.send(socket.getId(), subscription, frame(seq, text));
    }

    private static EventFrame frame(long seq, String text) {
        return new EventFrame(
                "/topic/groups.g1",
                seq,
                "MessageSent",
                ("{\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8),
                System.currentTimeMillis());
    }

    /** The seq header of each whole frame in the text, in order; every frame must be a MESSAGE ended by a NUL. */
    private static List<Long> seqs(String text) {
        assertThat(text).endsWith("\0");
        List<Long> seqs = new ArrayList<>();
        for (String frame : text.split("\0")) {
            assertThat(frame).startsWith("MESSAGE\n");
            Matcher seq = SEQ.matcher(frame);
            assertThat(seq.find()).isTrue();
            seqs.add(Long.parseLong(seq.group(1)));
        }
        return seqs;
    }

    private double deliveries() {
        return metrics.registry.counter("chorus.push.deliveries").count();
    }
}
