package io.chorus.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.push.FlushBeforeCloseTest.HeldSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.messaging.Message;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.SimpMessageType;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompDecoder;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.util.MimeTypeUtils;
import org.springframework.web.socket.messaging.StompSubProtocolHandler;

/**
 * An event frame encoded once for all subscribers reads, to a STOMP decoder, exactly as the frame Spring's STOMP
 * handler writes for the same message: same command, headers (but the unique message id) and body.
 */
class EventFrameTest {

    private static final String BODY = "{\"groupId\":\"g1\",\"seq\":7,\"text\":\"héllo: \\\"you\\\"\\n\\u0000 ✓ 😀\"}";

    @Test
    void readsAsSpringsOwnFrameForTheSameMessage() {
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        // a subscription id may hold anything a client chose, so the characters STOMP escapes
        String subscriptionId = "sub:1\\x\ny\r";

        Message<byte[]> spring = decode(springFrame("session-1", subscriptionId, body));
        Message<byte[]> ours = decode(new EventFrame("/topic/groups.g1", 7, "MessageSent", body, 0)
                .forSubscription(EventFrame.subscriptionHeaders("session-1", subscriptionId)));

        StompHeaderAccessor expected = StompHeaderAccessor.wrap(spring);
        StompHeaderAccessor actual = StompHeaderAccessor.wrap(ours);
        assertThat(actual.getCommand()).isEqualTo(StompCommand.MESSAGE).isEqualTo(expected.getCommand());
        Map<String, List<String>> expectedHeaders = expected.toNativeHeaderMap();
        Map<String, List<String>> actualHeaders = actual.toNativeHeaderMap();
        assertThat(actualHeaders.get("message-id")).singleElement().asString().startsWith("session-1-");
        expectedHeaders.remove("message-id");
        actualHeaders.remove("message-id");
        assertThat(actualHeaders).isEqualTo(expectedHeaders);
        assertThat(actualHeaders)
                .containsEntry("subscription", List.of(subscriptionId))
                .containsEntry("seq", List.of("7"))
                .containsEntry("event-type", List.of("MessageSent"))
                .containsEntry("content-length", List.of(Integer.toString(body.length)));
        assertThat(new String(ours.getPayload(), StandardCharsets.UTF_8)).isEqualTo(BODY);
        assertThat(ours.getPayload()).isEqualTo(spring.getPayload());
    }

    @Test
    void anAckReadsAsSpringsFrameForTheSameMessageToTheSessionsAckQueue() {
        byte[] body = "{\"clientMessageId\":\"c:1\",\"seq\":3}".getBytes(StandardCharsets.UTF_8);

        Message<byte[]> spring = decode(springUserQueueFrame("session-1", "sub-2", body));
        Message<byte[]> ours = decode(EventFrame.userQueueMessage("/user/queue/acks", body)
                .forSubscription(EventFrame.subscriptionHeaders("session-1", "sub-2")));

        Map<String, List<String>> expectedHeaders =
                StompHeaderAccessor.wrap(spring).toNativeHeaderMap();
        Map<String, List<String>> actualHeaders = StompHeaderAccessor.wrap(ours).toNativeHeaderMap();
        expectedHeaders.remove("message-id");
        assertThat(actualHeaders.remove("message-id"))
                .singleElement()
                .asString()
                .startsWith("session-1-");
        assertThat(actualHeaders)
                .isEqualTo(expectedHeaders)
                .containsEntry("destination", List.of("/user/queue/acks"))
                .doesNotContainKeys("seq", "event-type");
        assertThat(ours.getPayload()).isEqualTo(body);
    }

    @Test
    void everySubscriberGetsAMessageIdOfItsOwn() {
        EventFrame frame =
                new EventFrame("/topic/groups.g1", 1, "MemberJoined", "{}".getBytes(StandardCharsets.UTF_8), 0);

        String first = messageId(frame.forSubscription(EventFrame.subscriptionHeaders("s1", "sub-0")));
        String second = messageId(frame.forSubscription(EventFrame.subscriptionHeaders("s1", "sub-0")));

        assertThat(first).isNotEqualTo(second);
        // the counter, written as decimal digits straight into the frame
        long counter = Long.parseLong(first.substring("s1-".length()));
        assertThat(second).isEqualTo("s1-" + (counter + 1));
    }

    @Test
    void countsTheDigitsOfAMessageIdCounter() {
        assertThat(EventFrame.digits(0)).isEqualTo(1);
        assertThat(EventFrame.digits(9)).isEqualTo(1);
        assertThat(EventFrame.digits(10)).isEqualTo(2);
        assertThat(EventFrame.digits(999_999)).isEqualTo(6);
        assertThat(EventFrame.digits(1_000_000)).isEqualTo(7);
        assertThat(EventFrame.digits(Long.MAX_VALUE)).isEqualTo(19);
    }

    @Test
    void escapesOnlyWhatStompEscapes() {
        assertThat(EventFrame.escape("plain-value_1.2")).isEqualTo("plain-value_1.2");
        assertThat(EventFrame.escape("a:b\\c\nd\re")).isEqualTo("a\\cb\\\\c\\nd\\re");
    }

    /** The text Spring's STOMP handler writes to a session for the message the broker path used to build. */
    private static String springFrame(String sessionId, String subscriptionId, byte[] body) {
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create(SimpMessageType.MESSAGE);
        headers.setDestination("/topic/groups.g1");
        headers.setNativeHeader("seq", "7");
        headers.setNativeHeader("event-type", "MessageSent");
        return springFrame(headers, sessionId, subscriptionId, body);
    }

    /**
     * The text Spring's STOMP handler writes for a message to one session's {@code /user/queue/acks}, as the user
     * destination resolver and the broker hand it over (the destination resolved for the session, the one the client
     * subscribed to as the original).
     */
    private static String springUserQueueFrame(String sessionId, String subscriptionId, byte[] body) {
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create(SimpMessageType.MESSAGE);
        headers.setDestination("/queue/acks-user" + sessionId);
        headers.setNativeHeader(SimpMessageHeaderAccessor.ORIGINAL_DESTINATION, "/user/queue/acks");
        return springFrame(headers, sessionId, subscriptionId, body);
    }

    private static String springFrame(
            SimpMessageHeaderAccessor headers, String sessionId, String subscriptionId, byte[] body) {
        headers.setSessionId(sessionId);
        headers.setSubscriptionId(subscriptionId);
        headers.setContentType(MimeTypeUtils.APPLICATION_JSON);
        HeldSocket socket = new HeldSocket();
        socket.writing.countDown(); // record, never hold
        new StompSubProtocolHandler()
                .handleMessageToClient(socket, MessageBuilder.createMessage(body, headers.getMessageHeaders()));
        assertThat(socket.written).hasSize(1);
        return socket.written.get(0);
    }

    private static Message<byte[]> decode(String frame) {
        return decode(frame.getBytes(StandardCharsets.UTF_8));
    }

    private static Message<byte[]> decode(byte[] frame) {
        List<Message<byte[]>> messages = new StompDecoder().decode(ByteBuffer.wrap(frame));
        assertThat(messages).hasSize(1);
        return messages.get(0);
    }

    private static String messageId(byte[] frame) {
        return StompHeaderAccessor.wrap(decode(frame)).getFirstNativeHeader("message-id");
    }
}
