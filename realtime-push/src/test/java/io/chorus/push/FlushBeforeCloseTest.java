package io.chorus.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.push.PushBrokerConfiguration.FlushBeforeClose;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketExtension;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;

/**
 * An ERROR frame sent while another thread is writing to the session, then the close Spring does right after it:
 * Spring's decorator drops the frame, {@link FlushBeforeClose} lets it out first. The session underneath is a
 * stand-in whose first write can be held, the one way to pin the moment two writers meet (on a real socket it is a
 * window of microseconds).
 */
class FlushBeforeCloseTest {

    /** Records what reaches the socket and when it closes; its first write waits until released. */
    static final class HeldSocket implements WebSocketSession {
        final List<String> written = new CopyOnWriteArrayList<>();
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile CloseStatus closed;

        @Override
        public void sendMessage(WebSocketMessage<?> message) {
            if (written.isEmpty() && writing.getCount() > 0) {
                writing.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            written.add(((TextMessage) message).getPayload());
        }

        @Override
        public void close(CloseStatus status) {
            closed = status;
        }

        @Override
        public void close() {
            close(CloseStatus.NORMAL);
        }

        @Override
        public boolean isOpen() {
            return closed == null;
        }

        @Override
        public String getId() {
            return "held";
        }

        @Override
        public URI getUri() {
            return URI.create("ws://localhost/ws");
        }

        @Override
        public HttpHeaders getHandshakeHeaders() {
            return new HttpHeaders();
        }

        @Override
        public Map<String, Object> getAttributes() {
            return Map.of();
        }

        @Override
        public Principal getPrincipal() {
            return null;
        }

        @Override
        public InetSocketAddress getLocalAddress() {
            return null;
        }

        @Override
        public InetSocketAddress getRemoteAddress() {
            return null;
        }

        @Override
        public String getAcceptedProtocol() {
            return "v12.stomp";
        }

        @Override
        public void setTextMessageSizeLimit(int limit) {}

        @Override
        public int getTextMessageSizeLimit() {
            return 65536;
        }

        @Override
        public void setBinaryMessageSizeLimit(int limit) {}

        @Override
        public int getBinaryMessageSizeLimit() {
            return 65536;
        }

        @Override
        public List<WebSocketExtension> getExtensions() {
            return List.of();
        }
    }

    /** A MESSAGE being written on one thread while the ERROR and the close come on another; what reached the socket. */
    private static List<String> errorWhileAnotherWrite(ConcurrentWebSocketSessionDecorator session, HeldSocket socket)
            throws Exception {
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
            try {
                session.sendMessage(new TextMessage("MESSAGE"));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(socket.writing.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> error = CompletableFuture.runAsync(() -> {
            try {
                session.sendMessage(new TextMessage("ERROR"));
                session.close(CloseStatus.PROTOCOL_ERROR);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        // the ERROR is buffered behind the write in progress
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> session.getBufferSize() > 0 || error.isDone());
        socket.release.countDown();
        other.get(10, TimeUnit.SECONDS);
        error.get(10, TimeUnit.SECONDS);
        assertThat(socket.closed).isEqualTo(CloseStatus.PROTOCOL_ERROR);
        return socket.written;
    }

    @Test
    void springsDecoratorDropsTheErrorFrame() throws Exception {
        HeldSocket socket = new HeldSocket();
        assertThat(errorWhileAnotherWrite(new ConcurrentWebSocketSessionDecorator(socket, 10_000, 512 * 1024), socket))
                .containsExactly("MESSAGE");
    }

    @Test
    void theErrorFrameIsWrittenBeforeTheClose() throws Exception {
        HeldSocket socket = new HeldSocket();
        assertThat(errorWhileAnotherWrite(new FlushBeforeClose(socket, 10_000, 512 * 1024), socket))
                .containsExactly("MESSAGE", "ERROR");
    }
}
