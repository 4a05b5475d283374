package io.chorus.app.push;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.websocket.ContainerProvider;
import jakarta.websocket.WebSocketContainer;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompFrameHandler;
import org.springframework.messaging.simp.stomp.StompHeaders;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.messaging.simp.stomp.StompSessionHandlerAdapter;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.web.socket.WebSocketHttpHeaders;
import org.springframework.web.socket.client.standard.StandardWebSocketClient;
import org.springframework.web.socket.messaging.WebSocketStompClient;

/** A real STOMP client over a plain WebSocket, recording what each connection receives. */
public final class StompClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    private final WebSocketStompClient client;
    private final String url;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();

    public StompClient(int port) {
        WebSocketContainer container = ContainerProvider.getWebSocketContainer();
        // the container's default, 8 KiB, is less than a frame of a long message
        container.setDefaultMaxTextMessageBufferSize(1024 * 1024);
        client = new WebSocketStompClient(new StandardWebSocketClient(container));
        client.setMessageConverter(new TextConverter());
        client.setInboundMessageSizeLimit(1024 * 1024);
        url = "ws://localhost:" + port + "/ws/websocket";
    }

    /** Bodies as text both ways, with no content-type of its own: the server reads a SEND's body as JSON. */
    private static final class TextConverter implements MessageConverter {
        @Override
        public Object fromMessage(Message<?> message, Class<?> targetClass) {
            return new String((byte[]) message.getPayload(), StandardCharsets.UTF_8);
        }

        @Override
        public Message<?> toMessage(Object payload, MessageHeaders headers) {
            return MessageBuilder.createMessage(payload.toString().getBytes(StandardCharsets.UTF_8), headers);
        }
    }

    /** A frame received on a subscription. */
    public record Frame(StompHeaders headers, String body) {
        public long seq() {
            return Long.parseLong(headers.getFirst("seq"));
        }

        String type() {
            return headers.getFirst("event-type");
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** One connection: its ERROR frames, transport failures and acks. */
    public final class Connection extends StompSessionHandlerAdapter {
        final List<String> errors = new CopyOnWriteArrayList<>();
        public final List<JsonNode> acks = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> transportError = new AtomicReference<>();
        StompSession session;

        @Override
        public void handleFrame(StompHeaders headers, Object payload) {
            errors.add(headers.getFirst("message") + " " + payload);
        }

        @Override
        public Type getPayloadType(StompHeaders headers) {
            return String.class;
        }

        @Override
        public void handleException(
                StompSession session, StompCommand command, StompHeaders headers, byte[] payload, Throwable e) {
            transportError.set(e);
        }

        @Override
        public void handleTransportError(StompSession session, Throwable exception) {
            transportError.set(exception);
        }

        public boolean connected() {
            return session != null && session.isConnected();
        }

        /** Subscribes to the group's topic; with {@code fromSeq}, resumes after it. */
        public List<Frame> subscribe(String groupId, Long fromSeq) {
            List<Frame> frames = new CopyOnWriteArrayList<>();
            subscribe("/topic/groups." + groupId, fromSeq, frames);
            return frames;
        }

        StompSession.Subscription subscribe(String destination, Long fromSeq, List<Frame> frames) {
            StompHeaders headers = new StompHeaders();
            headers.setDestination(destination);
            if (fromSeq != null) {
                headers.add("from-seq", Long.toString(fromSeq));
            }
            return session.subscribe(headers, new StompFrameHandler() {
                @Override
                public Type getPayloadType(StompHeaders headers) {
                    return String.class;
                }

                @Override
                public void handleFrame(StompHeaders headers, Object payload) {
                    frames.add(new Frame(headers, (String) payload));
                }
            });
        }

        /** Subscribes to the acks and waits until the server has it (an ack for a malformed probe comes back). */
        public void subscribeAcks() {
            session.subscribe("/user/queue/acks", new StompFrameHandler() {
                @Override
                public Type getPayloadType(StompHeaders headers) {
                    return String.class;
                }

                @Override
                public void handleFrame(StompHeaders headers, Object payload) {
                    try {
                        acks.add(JSON.readTree((String) payload));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            // frames of a session are handled in order: the probe's ack comes once the subscription is in place
            session.send("/app/groups.probe.messages", "not json");
            await().atMost(Duration.ofSeconds(10)).until(() -> !acks.isEmpty());
            acks.clear();
        }

        public void send(String groupId, String clientMessageId, String text) {
            session.send(
                    "/app/groups." + groupId + ".messages",
                    json(Map.of("clientMessageId", clientMessageId, "text", text)));
        }

        public void disconnect() {
            if (connected()) {
                session.disconnect();
            }
        }
    }

    public Connection connect(String token) throws Exception {
        Connection connection = new Connection();
        StompHeaders headers = new StompHeaders();
        if (token != null) {
            headers.add("Authorization", "Bearer " + token);
        }
        connections.add(connection);
        connection.session = client.connectAsync(url, new WebSocketHttpHeaders(), headers, connection)
                .get(10, TimeUnit.SECONDS);
        return connection;
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        connections.forEach(Connection::disconnect);
        client.stop();
    }
}
