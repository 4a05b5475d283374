package io.chorus.push;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.support.AbstractSubscribableChannel;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.DelegatingWebSocketMessageBrokerConfiguration;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import org.springframework.web.socket.messaging.SubProtocolWebSocketHandler;

/**
 * Spring's STOMP broker configuration (what {@code @EnableWebSocketMessageBroker} imports; {@link PushConfiguration}
 * configures it), with one change: an ERROR frame reaches the client before its connection closes.
 *
 * <p>Spring sends an ERROR frame and closes the session right after. A session's writes go through a {@link
 * ConcurrentWebSocketSessionDecorator}: when another thread is writing to the session at that moment (an ack or a
 * typing notice from the broker's outbound channel, a heart-beat, the CONNECTED frame), the ERROR frame is left in
 * the decorator's buffer for that thread to send, and the close makes that thread drop it; the client sees its
 * connection close without the reason. Here a close first lets the thread writing send what is buffered, for at
 * most the send time limit. The decorated session is also where {@link SessionOutboxes} writes group event frames,
 * and under it an {@link EncodedTextSession} writes those frames' bytes as they are.
 */
@Configuration(proxyBeanMethods = false)
class PushBrokerConfiguration extends DelegatingWebSocketMessageBrokerConfiguration {

    private final ObjectProvider<SessionOutboxes> outboxes;

    PushBrokerConfiguration(ObjectProvider<SessionOutboxes> outboxes) {
        this.outboxes = outboxes;
    }

    @Bean
    @Override
    public WebSocketHandler subProtocolWebSocketHandler(
            AbstractSubscribableChannel clientInboundChannel, AbstractSubscribableChannel clientOutboundChannel) {
        SubProtocolWebSocketHandler handler =
                new SubProtocolWebSocketHandler(clientInboundChannel, clientOutboundChannel) {
                    @Override
                    protected WebSocketSession decorateSession(WebSocketSession session) {
                        WebSocketSession decorated = new FlushBeforeClose(
                                new EncodedTextSession(session), getSendTimeLimit(), getSendBufferSizeLimit());
                        outboxes.getObject().writesThrough(decorated);
                        return decorated;
                    }
                };
        handler.setPhase(getPhase());
        return handler;
    }

    /** Closes once what is buffered was written (or the send time limit passed), unless the session failed. */
    static final class FlushBeforeClose extends ConcurrentWebSocketSessionDecorator {

        FlushBeforeClose(WebSocketSession delegate, int sendTimeLimit, int bufferSizeLimit) {
            super(delegate, sendTimeLimit, bufferSizeLimit);
        }

        @Override
        public void close(CloseStatus status) throws IOException {
            if (!CloseStatus.SESSION_NOT_RELIABLE.equals(status)) {
                long deadline = System.nanoTime()
                        + Duration.ofMillis(getSendTimeLimit()).toNanos();
                while (getBufferSize() > 0 && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(100_000);
                }
            }
            super.close(status);
        }
    }
}
