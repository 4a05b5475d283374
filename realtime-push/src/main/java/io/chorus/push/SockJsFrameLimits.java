package io.chorus.push;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketExtension;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;
import org.springframework.web.socket.server.RequestUpgradeStrategy;
import org.springframework.web.socket.server.standard.StandardWebSocketUpgradeStrategy;
import org.springframework.web.socket.server.support.DefaultHandshakeHandler;
import org.springframework.web.socket.sockjs.SockJsException;
import org.springframework.web.socket.sockjs.frame.Jackson2SockJsMessageCodec;
import org.springframework.web.socket.sockjs.frame.SockJsFrame;
import org.springframework.web.socket.sockjs.frame.SockJsFrameFormat;
import org.springframework.web.socket.sockjs.transport.SockJsServiceConfig;
import org.springframework.web.socket.sockjs.transport.handler.WebSocketTransportHandler;
import org.springframework.web.socket.sockjs.transport.handler.XhrPollingTransportHandler;
import org.springframework.web.socket.sockjs.transport.handler.XhrReceivingTransportHandler;
import org.springframework.web.socket.sockjs.transport.session.AbstractHttpSockJsSession;
import org.springframework.web.socket.sockjs.transport.session.PollingSockJsSession;

/**
 * SockJS transports that take STOMP frames up to {@code chorus.push.message-size-limit}, as the plain WebSocket
 * endpoint does. Spring's SockJS WebSocket handler takes no partial messages, so Tomcat cut a SockJS message off
 * at its buffer (about 16 K characters) with a bare close 1009; and its XHR receiving handler read a body of any
 * size. Here a SockJS message is joined from its parts up to {@link #maxSockJsChars}, and an XHR body read up to as
 * many bytes; the STOMP decoder then answers a frame over the limit with an ERROR frame. A SockJS message past even
 * that (it cannot hold a frame within the limit) is answered with an ERROR frame naming the limit, in SockJS's own
 * framing, before the session is closed with 1009.
 *
 * <p>Over XHR polling, what the session sends between two polls waits for the next one; Spring's session forgot
 * it when it was closed in between, so a poll that came after an ERROR frame and its close met only SockJS's "go
 * away". Here a polling session keeps what it had not sent when it closed, and the next poll gets it with the
 * close frame and its real code.
 */
final class SockJsFrameLimits {

    private static final Logger log = LoggerFactory.getLogger(SockJsFrameLimits.class);

    /**
     * A frame within the limit, JSON-encoded as SockJS sends it, is at most this many characters: sockjs-client
     * escapes some characters as {@code \}{@code uXXXX}, six for one.
     */
    static int maxSockJsChars(int messageSizeLimit) {
        return 6 * messageSizeLimit + 1024;
    }

    private SockJsFrameLimits() {}

    /** The STOMP ERROR frame for a message no frame within the limit could be. */
    static String tooLarge(int messageSizeLimit) {
        return "ERROR\nmessage:the STOMP frame is larger than the limit of " + messageSizeLimit
                + " bytes (chorus.push.message-size-limit)\ncontent-type:text/plain\n\n"
                + "the frame is larger than the limit of " + messageSizeLimit + " bytes\u0000";
    }

    /** The SockJS WebSocket transport, with messages joined from their parts. */
    static WebSocketTransportHandler webSocketTransport(int messageSizeLimit) {
        return new WebSocketTransportHandler(new WholeMessages(messageSizeLimit));
    }

    /** The SockJS XHR receiving transport ({@code xhr_send}), with bodies read up to the limit. */
    static XhrReceivingTransportHandler xhrReceivingTransport(int messageSizeLimit) {
        return new LimitedXhrReceiving(messageSizeLimit);
    }

    /** The SockJS XHR polling transport, whose closed sessions still deliver what they had not sent. */
    static XhrPollingTransportHandler xhrPollingTransport() {
        return new LeftoversDelivered();
    }

    /** Upgrades with a handler that takes parts, for a SockJS handler that does not. */
    private static final class WholeMessages extends DefaultHandshakeHandler {

        WholeMessages(int messageSizeLimit) {
            super(new Joining(new StandardWebSocketUpgradeStrategy(), messageSizeLimit));
        }
    }

    /** Tomcat's upgrade, given the handler wrapped in {@link JoinedParts} when it takes whole messages only. */
    private record Joining(RequestUpgradeStrategy upgrade, int messageSizeLimit) implements RequestUpgradeStrategy {

        @Override
        public String[] getSupportedVersions() {
            return upgrade.getSupportedVersions();
        }

        @Override
        public List<WebSocketExtension> getSupportedExtensions(ServerHttpRequest request) {
            return upgrade.getSupportedExtensions(request);
        }

        @Override
        public void upgrade(
                ServerHttpRequest request,
                ServerHttpResponse response,
                String selectedProtocol,
                List<WebSocketExtension> selectedExtensions,
                Principal user,
                WebSocketHandler handler,
                Map<String, Object> attributes) {
            WebSocketHandler joining =
                    handler.supportsPartialMessages() ? handler : new JoinedParts(handler, messageSizeLimit);
            upgrade.upgrade(request, response, selectedProtocol, selectedExtensions, user, joining, attributes);
        }
    }

    /** Joins a connection's message parts into whole messages for a delegate that takes whole ones only. */
    private static final class JoinedParts extends WebSocketHandlerDecorator {
        private final int messageSizeLimit;
        private final int maxChars;
        private final StringBuilder parts = new StringBuilder();
        private boolean refused;

        JoinedParts(WebSocketHandler delegate, int messageSizeLimit) {
            super(delegate);
            this.messageSizeLimit = messageSizeLimit;
            this.maxChars = maxSockJsChars(messageSizeLimit);
        }

        @Override
        public boolean supportsPartialMessages() {
            return true;
        }

        @Override
        public void handleMessage(WebSocketSession session, WebSocketMessage<?> message) throws Exception {
            if (!(message instanceof TextMessage text)) {
                super.handleMessage(session, message);
                return;
            }
            if (refused) {
                return;
            }
            if (parts.isEmpty() && text.isLast()) {
                if (text.getPayloadLength() > maxChars) {
                    refuse(session);
                    return;
                }
                super.handleMessage(session, text);
                return;
            }
            parts.append(text.getPayload());
            if (parts.length() > maxChars) {
                parts.setLength(0);
                parts.trimToSize();
                refuse(session);
                return;
            }
            if (text.isLast()) {
                String whole = parts.toString();
                parts.setLength(0);
                parts.trimToSize();
                super.handleMessage(session, new TextMessage(whole));
            }
        }

        private void refuse(WebSocketSession session) throws IOException {
            refused = true;
            log.info("refused a SockJS message of session {} larger than any frame within the limit", session.getId());
            try {
                session.sendMessage(
                        new TextMessage(new Jackson2SockJsMessageCodec().encode(tooLarge(messageSizeLimit))));
            } catch (IOException | IllegalStateException e) {
                log.debug("the ERROR frame could not be sent: {}", e.toString());
            }
            session.close(CloseStatus.TOO_BIG_TO_PROCESS);
        }
    }

    /**
     * A polling session that keeps, when it closes with no poll waiting, the messages no poll has taken yet and
     * how it closed.
     */
    private static final class KeepingLeftovers extends PollingSockJsSession {
        private List<String> leftovers = List.of();
        private CloseStatus unreported;

        KeepingLeftovers(
                String id, SockJsServiceConfig config, WebSocketHandler handler, Map<String, Object> attributes) {
            super(id, config, handler, attributes);
        }

        @Override
        protected void disconnect(CloseStatus status) {
            synchronized (responseLock) {
                if (!isActive()) {
                    leftovers = List.copyOf(getMessageCache());
                    getMessageCache().clear();
                    unreported = status;
                }
            }
            super.disconnect(status);
        }

        /** The frames the next poll owes the client (leftover messages, then the close), once; else null. */
        String takeUnreported(SockJsFrameFormat format) {
            synchronized (responseLock) {
                if (unreported == null) {
                    return null;
                }
                String body = leftovers.isEmpty()
                        ? ""
                        : format.format(SockJsFrame.messageFrame(getMessageCodec(), leftovers.toArray(String[]::new)));
                body += format.format(SockJsFrame.closeFrame(unreported.getCode(), unreported.getReason()));
                leftovers = List.of();
                unreported = null;
                return body;
            }
        }
    }

    /** XHR polling whose first poll after a close gets what was left unsent, then the close frame with its code. */
    private static final class LeftoversDelivered extends XhrPollingTransportHandler {

        @Override
        public PollingSockJsSession createSession(
                String sessionId, WebSocketHandler handler, Map<String, Object> attributes) {
            return new KeepingLeftovers(sessionId, getServiceConfig(), handler, attributes);
        }

        @Override
        protected void handleRequestInternal(
                ServerHttpRequest request, ServerHttpResponse response, AbstractHttpSockJsSession sockJsSession)
                throws SockJsException {
            String unreported = sockJsSession instanceof KeepingLeftovers session && session.isClosed()
                    ? session.takeUnreported(getFrameFormat(request))
                    : null;
            if (unreported == null) {
                super.handleRequestInternal(request, response, sockJsSession);
                return;
            }
            try {
                response.getBody().write(unreported.getBytes(StandardCharsets.UTF_8));
                response.flush();
            } catch (IOException e) {
                throw new SockJsException("delivering what a closed session left failed", sockJsSession.getId(), e);
            }
        }
    }

    /** {@code xhr_send} with its body read up to the bound, and an ERROR frame for the session past it. */
    private static final class LimitedXhrReceiving extends XhrReceivingTransportHandler {
        private final int messageSizeLimit;
        private final int maxBytes;

        LimitedXhrReceiving(int messageSizeLimit) {
            this.messageSizeLimit = messageSizeLimit;
            // UTF-8: a character of a SockJS message takes up to three bytes here (a \\uXXXX escape, six)
            this.maxBytes = maxSockJsChars(messageSizeLimit);
        }

        @Override
        protected void handleRequestInternal(
                ServerHttpRequest request,
                ServerHttpResponse response,
                WebSocketHandler wsHandler,
                AbstractHttpSockJsSession sockJsSession)
                throws SockJsException {
            byte[] body;
            try {
                body = read(request.getBody(), maxBytes);
            } catch (IOException e) {
                throw new SockJsException("reading an xhr_send body failed", sockJsSession.getId(), e);
            }
            if (body == null) {
                log.info(
                        "refused an xhr_send of session {} larger than any frame within the limit",
                        sockJsSession.getId());
                try {
                    sockJsSession.sendMessage(new TextMessage(tooLarge(messageSizeLimit)));
                    sockJsSession.close(CloseStatus.TOO_BIG_TO_PROCESS);
                } catch (IOException e) {
                    log.debug("the ERROR frame could not be sent: {}", e.toString());
                }
                response.setStatusCode(HttpStatus.PAYLOAD_TOO_LARGE);
                response.getHeaders().setContentType(new MediaType("text", "plain", StandardCharsets.UTF_8));
                return;
            }
            String[] messages;
            try {
                messages = getServiceConfig().getMessageCodec().decodeInputStream(new ByteArrayInputStream(body));
            } catch (IOException | RuntimeException e) {
                messages = null;
            }
            if (messages == null) {
                // as Spring's own handler answers a body that is no JSON array of strings
                response.setStatusCode(HttpStatus.INTERNAL_SERVER_ERROR);
                try {
                    response.getBody().write("Broken JSON encoding.".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new SockJsException("answering a broken xhr_send failed", sockJsSession.getId(), e);
                }
                return;
            }
            response.setStatusCode(HttpStatus.NO_CONTENT);
            response.getHeaders().setContentType(new MediaType("text", "plain", StandardCharsets.UTF_8));
            sockJsSession.delegateMessages(messages);
        }

        /** The body, or null when it is longer than {@code max} bytes (reading stops there). */
        private static byte[] read(InputStream in, int max) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (out.size() + n > max) {
                    return null;
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        }
    }
}
