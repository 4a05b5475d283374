package io.chorus.push;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import org.apache.tomcat.websocket.Constants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.standard.StandardWebSocketSession;
import org.springframework.web.socket.handler.WebSocketSessionDecorator;

/**
 * Writes frames that are UTF-8 already ({@link EncodedText}) to a plain WebSocket on Tomcat as one text message of
 * those bytes. Through Spring's session a text message is a {@code String}: Spring decodes the bytes, and Tomcat
 * encodes the string again, char by char (it wraps the string in a {@code CharBuffer} without an array, the encoder's
 * slow path) — a fifth of the push senders' profile samples at ten deliveries of every group event. The bytes are
 * handed to the method Tomcat itself ends in after encoding ({@code WsRemoteEndpointImplBase.sendMessageBlock(byte,
 * ByteBuffer, boolean, long)}: the text opcode, the payload, the last part, the session's blocking send timeout, which
 * Tomcat's own text send reads from the session's user properties), so the frame on the wire, its extensions
 * (permessage-deflate) and the blocking send timeout are Tomcat's own.
 *
 * <p>That method is package-private, so it is looked up once, reflectively; if it cannot be (another container, a
 * Tomcat that changed it), or the session is not a plain WebSocket (SockJS frames its own messages), the frame goes as
 * a {@link TextMessage} the usual way, and the start-up log says which. This session sits under Spring's {@code
 * ConcurrentWebSocketSessionDecorator} (it is what that decorator writes to), so writes to it never overlap, and
 * Tomcat's own check against overlapping text messages, which this skips, has nothing to catch.
 */
final class EncodedTextSession extends WebSocketSessionDecorator {

    private static final Logger log = LoggerFactory.getLogger(EncodedTextSession.class);

    /** WebSocket's opcode of a text frame (RFC 6455, 5.2). */
    private static final byte TEXT = 0x1;

    /** {@code RemoteEndpoint.Basic} → Tomcat's endpoint that writes frames, or null when not found. */
    private static final MethodHandle IMPLEMENTATION;
    /**
     * That endpoint's {@code sendMessageBlock(byte opCode, ByteBuffer payload, boolean last, long timeoutMillis)}, or
     * null. The variant without the timeout reads it from the session's user properties for every frame, a map look-up
     * on a session the push sender has not touched since its last frame: a sixth of the push sender's profile samples
     * at 1,000 connections, nearly all of it in that look-up. Here it is read once per session.
     */
    private static final MethodHandle SEND_BLOCK;

    static {
        MethodHandle implementation = null;
        MethodHandle sendBlock = null;
        try {
            ClassLoader loader = EncodedTextSession.class.getClassLoader();
            Class<?> base = Class.forName("org.apache.tomcat.websocket.WsRemoteEndpointBase", false, loader);
            Class<?> impl = Class.forName("org.apache.tomcat.websocket.WsRemoteEndpointImplBase", false, loader);
            MethodHandles.Lookup inBase = MethodHandles.privateLookupIn(base, MethodHandles.lookup());
            implementation = inBase.findGetter(base, "base", impl)
                    .asType(MethodType.methodType(Object.class, RemoteEndpoint.Basic.class));
            MethodHandles.Lookup inImpl = MethodHandles.privateLookupIn(impl, MethodHandles.lookup());
            sendBlock = inImpl.findVirtual(
                            impl,
                            "sendMessageBlock",
                            MethodType.methodType(void.class, byte.class, ByteBuffer.class, boolean.class, long.class))
                    .asType(MethodType.methodType(
                            void.class, Object.class, byte.class, ByteBuffer.class, boolean.class, long.class));
            log.info("encoded frames go to Tomcat's WebSocket endpoint as bytes");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            implementation = null;
            sendBlock = null;
            log.info(
                    "encoded frames go as text messages through Spring (Tomcat's endpoint not reachable: {})",
                    e.toString());
        }
        IMPLEMENTATION = implementation;
        SEND_BLOCK = sendBlock;
    }

    /** Tomcat's endpoint of this session, found at the first encoded frame; null if there is none. */
    private Object endpoint;

    /** Tomcat's blocking send timeout of this session (ms), read with the endpoint. */
    private long timeoutMillis;

    private boolean looked;

    EncodedTextSession(WebSocketSession delegate) {
        super(delegate);
    }

    /** Whether encoded frames can skip the string on this server (Tomcat's endpoint was found). */
    static boolean writesBytes() {
        return SEND_BLOCK != null;
    }

    /** The blocking send timeout its encoded frames are sent with (ms), once the first has been sent. */
    long timeoutMillis() {
        return timeoutMillis;
    }

    @Override
    public void sendMessage(WebSocketMessage<?> message) throws IOException {
        if (!(message instanceof EncodedText text)) {
            super.sendMessage(message);
            return;
        }
        Object target = endpoint();
        if (target == null) {
            super.sendMessage(new TextMessage(text.getPayload()));
            return;
        }
        try {
            SEND_BLOCK.invokeExact(target, TEXT, ByteBuffer.wrap(text.getPayload()), true, timeoutMillis);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Called only by the one writer the decorator above lets through at a time. */
    private Object endpoint() {
        if (!looked) {
            looked = true;
            if (SEND_BLOCK != null && getDelegate() instanceof StandardWebSocketSession standard) {
                try {
                    // Tomcat's constants are compile-time ones, copied in here: no link to Tomcat at run time
                    Session nativeSession = standard.getNativeSession();
                    timeoutMillis = nativeSession.getUserProperties().get(Constants.BLOCKING_SEND_TIMEOUT_PROPERTY)
                                    instanceof Long set
                            ? set
                            : Constants.DEFAULT_BLOCKING_SEND_TIMEOUT;
                    endpoint = IMPLEMENTATION.invokeExact(nativeSession.getBasicRemote());
                } catch (Throwable e) {
                    log.debug("session {} writes encoded frames as text messages", getId(), e);
                }
            }
        }
        return endpoint;
    }

    /**
     * A text message given as its UTF-8 bytes (a frame or frames {@link SessionOutboxes} encoded), for {@link
     * EncodedTextSession} to write as they are; its length is theirs.
     */
    static final class EncodedText implements WebSocketMessage<byte[]> {

        private final byte[] utf8;

        EncodedText(byte[] utf8) {
            this.utf8 = utf8;
        }

        @Override
        public byte[] getPayload() {
            return utf8;
        }

        @Override
        public int getPayloadLength() {
            return utf8.length;
        }

        @Override
        public boolean isLast() {
            return true;
        }

        @Override
        public String toString() {
            return "EncodedText[" + utf8.length + " bytes]";
        }
    }
}
