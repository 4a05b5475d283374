package io.chorus.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.push.FlushBeforeCloseTest.HeldSocket;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.messaging.Message;
import org.springframework.messaging.simp.stomp.StompDecoder;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.util.unit.DataSize;
import org.springframework.web.socket.WebSocketHandler;

/**
 * Frames that queue for a session while a write to it is under way leave together in the next write, each still a
 * whole STOMP frame and in order. The socket is a stand-in whose first write can be held: the one way to pin a
 * backlog (on a real socket it builds up only while the client or the node is behind).
 */
class SessionOutboxesTest {

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
                    20),
            metrics);
    private final HeldSocket socket = new HeldSocket();
    private final byte[] subscription = EventFrame.subscriptionHeaders("held", "sub-0");

    @AfterEach
    void tearDown() {
        socket.release.countDown();
        outboxes.destroy();
    }

    @Test
    void framesQueuedBehindAWriteLeaveTogetherInOrderInTheNextWrite() throws Exception {
        // given a session whose first write is held
        outboxes.opened(socket);
        outboxes.writesThrough(socket);
        outboxes.send("held", subscription, event(1));
        assertThat(socket.writing.await(10, TimeUnit.SECONDS)).isTrue();

        // when three more events and an ack queue up meanwhile, and the write ends
        outboxes.send("held", subscription, event(2));
        outboxes.send("held", subscription, event(3));
        outboxes.send("held", subscription, EventFrame.userQueueMessage("/user/queue/acks", json("{\"seq\":3}")));
        outboxes.send("held", subscription, event(4));
        socket.release.countDown();

        // then they went out in one more write, which a STOMP decoder reads as those frames in order
        await().atMost(Duration.ofSeconds(10)).until(() -> socket.written.size() >= 2);
        assertThat(socket.written).hasSize(2);
        assertThat(seqs(socket.written.get(0))).containsExactly("1");
        List<Message<byte[]>> second = decode(socket.written.get(1));
        assertThat(second).hasSize(4);
        assertThat(second.stream().map(m -> StompHeaderAccessor.wrap(m).getFirstNativeHeader("seq")))
                .containsExactly("2", "3", null, "4");
        assertThat(StompHeaderAccessor.wrap(second.get(2)).getDestination()).isEqualTo("/user/queue/acks");
        // and each group event counts as a delivery, the ack does not
        assertThat(metrics.registry.get("chorus.push.deliveries").counter().count())
                .isEqualTo(4);
    }

    @Test
    void aBacklogLargerThanOneWriteTakesSeveral() throws Exception {
        // given a held first write, and events of ~1 KB queued behind it, more than one write holds
        outboxes.opened(socket);
        outboxes.writesThrough(socket);
        outboxes.send("held", subscription, event(0));
        assertThat(socket.writing.await(10, TimeUnit.SECONDS)).isTrue();
        int events = 3 * SessionOutboxes.COALESCE_BYTES / 1024;
        for (int seq = 1; seq <= events; seq++) {
            outboxes.send("held", subscription, new EventFrame("/topic/groups.g1", seq, "MessageSent", body(1000), 0));
        }

        // when the write ends
        socket.release.countDown();

        // then every event arrives once, in order, in writes of at most the limit
        await().atMost(Duration.ofSeconds(10))
                .until(() ->
                        socket.written.stream().mapToInt(w -> decode(w).size()).sum() == events + 1);
        assertThat(socket.written.stream().flatMap(w -> seqs(w).stream()).toList())
                .containsExactlyElementsOf(IntStream.rangeClosed(0, events)
                        .mapToObj(Integer::toString)
                        .toList());
        assertThat(socket.written).hasSizeGreaterThan(3);
        assertThat(socket.written)
                .allSatisfy(w -> assertThat(w.getBytes(StandardCharsets.UTF_8).length)
                        .isLessThanOrEqualTo(SessionOutboxes.COALESCE_BYTES));
    }

    private static EventFrame event(long seq) {
        return new EventFrame("/topic/groups.g1", seq, "MessageSent", json("{\"seq\":" + seq + "}"), 0);
    }

    private static byte[] body(int length) {
        return ("{\"text\":\"" + "x".repeat(length - 11) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Message<byte[]>> decode(String written) {
        return new StompDecoder().decode(ByteBuffer.wrap(written.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> seqs(String written) {
        return decode(written).stream()
                .map(m -> StompHeaderAccessor.wrap(m).getFirstNativeHeader("seq"))
                .toList();
    }
}
