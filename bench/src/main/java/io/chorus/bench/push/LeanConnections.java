package io.chorus.bench.push;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * The harness's STOMP connections, subscribers and senders alike: plain WebSocket (RFC 6455) over non-blocking
 * sockets, read by a few threads (each connection by one of them, on its own selector), speaking just enough STOMP
 * (CONNECT, SUBSCRIBE and SEND; of what arrives, only the id in each MESSAGE's body is read).
 *
 * <p>Why not a WebSocket client library: the harness shares this machine's two cores with the server it measures,
 * and on this VM every system call and every thread hand-over is dear. Tomcat's JSR-356 client reads each
 * connection through an asynchronous channel whose completions are handed to a thread pool, and a send through
 * Spring's STOMP client waited for the pool's write completion. Here a selector thread reads every one of its
 * connections that is ready in one pass, and a SEND is written by the caller's thread: no hand-over either way. The
 * same connections are used against Chorus and the bare broker.
 *
 * <p>Why more than one reader: the 1,000 connections stand for 1,000 clients on machines of their own, but here they
 * share two cores with the server under test, and the scheduler shares a core between runnable threads, not
 * processes. One thread reading 65,000 frames/s (the fan-out run) got its turn behind a dozen of the server's
 * threads, and measured that wait as push latency: at 650 messages/s Chorus wrote its frames within 34 ms of the
 * SEND (p99) while the harness read them 109 ms after (2026-12-06). The default is one reader per core.
 */
final class LeanConnections implements AutoCloseable {

    private static final byte[] TEXT_KEY = "\"text\":\"m".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STAMP_KEY = "\"sentAt\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final URI uri;
    private final LongConsumer onMessage;
    /** Gets the server's stamp of every 16th message that has one ({@link #STAMP_KEY}), or null. */
    private final Stamped onStamped;

    private final Selector[] selectors;
    private final Thread[] readers;
    private final List<Connection> connections = new ArrayList<>();
    private final AtomicInteger closedByServer = new AtomicInteger();
    private volatile boolean running = true;

    /** What takes a message's id and its server's stamp. */
    interface Stamped {
        void accept(long id, long stampMillis);
    }

    /** Connections to {@code uri} (ws://host:port/path); {@code onMessage} gets each MESSAGE's id, on the reader. */
    LeanConnections(URI uri, LongConsumer onMessage) {
        this(uri, onMessage, null, 1);
    }

    /**
     * As above, and {@code onStamped} gets, for every 16th message id, the time the server stamped the message with
     * when it took the SEND (a Chorus message's {@code sentAt}); a frame without one is not passed on. The
     * connections are read by {@code readers} threads, so both consumers must take calls from several threads at once.
     */
    LeanConnections(URI uri, LongConsumer onMessage, Stamped onStamped, int readers) {
        if (readers < 1) {
            throw new IllegalArgumentException("readers must be 1 or more; got " + readers);
        }
        this.uri = uri;
        this.onMessage = onMessage;
        this.onStamped = onStamped;
        this.selectors = new Selector[readers];
        this.readers = new Thread[readers];
        try {
            for (int r = 0; r < readers; r++) {
                selectors[r] = Selector.open();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int r = 0; r < readers; r++) {
            Selector selector = selectors[r];
            this.readers[r] = new Thread(() -> readLoop(selector), "bench-connections-" + r);
            this.readers[r].setDaemon(true);
            this.readers[r].start();
        }
    }

    /** Connections the server closed (a slow-consumer cut-off, for instance) since they were opened. */
    int closedByServer() {
        return closedByServer.get();
    }

    /**
     * Opens one more connection, its upgrade and CONNECT blocking on the caller's thread (so a refused token fails
     * here); a reader thread then takes it over (the connections in turn). Its index, for {@link #subscribe} and
     * {@link #send}.
     */
    int open(String token) throws IOException {
        SocketChannel channel = SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
        channel.socket().setTcpNoDelay(true);
        Connection connection = new Connection(channel);
        try {
            connection.upgrade(uri);
            connection.write("CONNECT\naccept-version:1.2\nheart-beat:0,0\nAuthorization:Bearer " + token + "\n\n\0");
            String answer = connection.readTextBlocking();
            if (!answer.startsWith("CONNECTED")) {
                throw new IOException("the server answered CONNECT with " + answer);
            }
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        channel.configureBlocking(false);
        int index;
        synchronized (connections) {
            index = connections.size();
            connections.add(connection);
        }
        Selector selector = selectors[index % selectors.length];
        channel.register(selector, SelectionKey.OP_READ, connection);
        selector.wakeup();
        return index;
    }

    /** A subscription on the {@code index}th connection (every subscription's MESSAGEs go to the one consumer). */
    void subscribe(int index, String destination) throws IOException {
        Connection connection = connection(index);
        synchronized (connection) {
            connection.write("SUBSCRIBE\nid:" + connection.subscriptions++ + "\ndestination:" + destination + "\n\n\0");
        }
    }

    /** A SEND of a JSON body on the {@code index}th connection, written by the caller's thread. */
    void send(int index, String destination, String json) throws IOException {
        connection(index)
                .write("SEND\ndestination:" + destination + "\ncontent-type:application/json\n\n" + json + "\0");
    }

    private Connection connection(int index) {
        synchronized (connections) {
            return connections.get(index);
        }
    }

    @Override
    public void close() {
        running = false;
        for (Selector selector : selectors) {
            selector.wakeup();
        }
        try {
            for (Thread reader : readers) {
                reader.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (connections) {
            for (Connection connection : connections) {
                try {
                    connection.channel.close();
                } catch (IOException e) {
                    // the benchmark is over; the server closes it too
                }
            }
        }
        for (Selector selector : selectors) {
            try {
                selector.close();
            } catch (IOException e) {
                // nothing is left to read
            }
        }
    }

    private void readLoop(Selector selector) {
        ByteBuffer scratch = ByteBuffer.allocateDirect(256 * 1024);
        try {
            while (running) {
                selector.select(200);
                for (SelectionKey key : selector.selectedKeys()) {
                    Connection connection = (Connection) key.attachment();
                    boolean open;
                    try {
                        open = connection.readAvailable(scratch);
                    } catch (IOException e) {
                        open = false;
                    }
                    if (!open) {
                        dropped(key, connection);
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException | ClosedSelectorException e) {
            if (running) {
                throw new IllegalStateException("the harness's selector failed", e);
            }
        }
    }

    private void dropped(SelectionKey key, Connection connection) {
        key.cancel();
        try {
            connection.channel.close();
        } catch (IOException e) {
            // closed either way
        }
        if (running) {
            closedByServer.incrementAndGet();
        }
    }

    /** What takes the STOMP frames of a text message. */
    interface StompFrameHandler {
        /** A frame without its NUL, at {@code buffer[from, from + length)}, valid only during the call. */
        void frame(ByteBuffer buffer, int from, int length);
    }

    /**
     * The STOMP frames of a whole text message to the handler: one or several, each ended by a NUL (a server may send
     * frames that waited together in one message), with heart-beat newlines before them skipped.
     */
    static void stompFrames(ByteBuffer buffer, int from, int length, StompFrameHandler handler) {
        int end = from + length;
        int start = from;
        for (int at = from; at <= end; at++) {
            if (at == end || buffer.get(at) == 0) {
                while (start < at && (buffer.get(start) == '\n' || buffer.get(start) == '\r')) {
                    start++;
                }
                if (start < at) {
                    handler.frame(buffer, start, at - start);
                }
                start = at + 1;
            }
        }
    }

    /** One connection and the frames it has read in part. */
    private final class Connection implements WebSocketFrames.Handler, StompFrameHandler {
        final SocketChannel channel;
        final WebSocketFrames frames = new WebSocketFrames(this);

        int subscriptions;
        /** The last complete text message, while the connection is still read blocking. */
        private String lastText;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        void upgrade(URI uri) throws IOException {
            byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            String key = Base64.getEncoder().encodeToString(nonce);
            String request = "GET " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
                    + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
            writeFully(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            StringBuilder response = new StringBuilder();
            ByteBuffer one = ByteBuffer.allocate(1);
            // byte by byte up to the blank line, so that nothing of the first frame is read into the response
            while (response.indexOf("\r\n\r\n") < 0) {
                one.clear();
                if (channel.read(one) < 0) {
                    throw new IOException("closed during the upgrade: " + response);
                }
                response.append((char) one.get(0));
            }
            String head = response.toString();
            if (!head.startsWith("HTTP/1.1 101")
                    || !head.toLowerCase()
                            .contains("sec-websocket-accept: " + accept(key).toLowerCase())) {
                throw new IOException("the upgrade was refused: " + head);
            }
        }

        /** A STOMP frame as one text message. */
        void write(String text) throws IOException {
            writeFrame(WebSocketFrames.TEXT, text.getBytes(StandardCharsets.UTF_8));
        }

        /** One whole frame (FIN set), masked as a client must mask what it sends. */
        private void writeFrame(int opcode, byte[] payload) throws IOException {
            int headerLength = payload.length < 126 ? 2 : 4;
            ByteBuffer frame = ByteBuffer.allocate(headerLength + 4 + payload.length);
            frame.put((byte) (0x80 | opcode));
            if (payload.length < 126) {
                frame.put((byte) (0x80 | payload.length));
            } else {
                frame.put((byte) (0x80 | 126)).putShort((short) payload.length);
            }
            byte[] mask = new byte[4];
            ThreadLocalRandom.current().nextBytes(mask);
            frame.put(mask);
            for (int i = 0; i < payload.length; i++) {
                frame.put((byte) (payload[i] ^ mask[i & 3]));
            }
            frame.flip();
            synchronized (this) {
                writeFully(frame);
            }
        }

        private void writeFully(ByteBuffer buffer) throws IOException {
            while (buffer.hasRemaining()) {
                if (channel.write(buffer) == 0) {
                    // the socket's buffer is full (a server not reading): wait without taking a core from it
                    LockSupport.parkNanos(100_000);
                }
            }
        }

        String readTextBlocking() throws IOException {
            ByteBuffer scratch = ByteBuffer.allocate(4096);
            while (lastText == null) {
                if (!readAvailable(scratch)) {
                    throw new IOException("closed before CONNECTED");
                }
            }
            return lastText;
        }

        /** Reads what the socket has and parses every complete frame; false once the server closed it. */
        boolean readAvailable(ByteBuffer scratch) throws IOException {
            scratch.clear();
            int read = channel.read(scratch);
            if (read < 0) {
                return false;
            }
            scratch.flip();
            return frames.feed(scratch);
        }

        @Override
        public void ping(byte[] body) throws IOException {
            writeFrame(WebSocketFrames.PONG, body);
        }

        @Override
        public void text(ByteBuffer buffer, int from, int length) {
            stompFrames(buffer, from, length, this);
        }

        /** A STOMP frame: a MESSAGE's id goes to the consumer; before SUBSCRIBE, the text is kept. */
        @Override
        public void frame(ByteBuffer buffer, int from, int length) {
            if (startsWith(buffer, from, length, "MESSAGE")) {
                long id = idIn(buffer, from, length);
                if (id >= 0) {
                    onMessage.accept(id);
                    if (onStamped != null && (id & 15) == 0) {
                        long stamp = stampIn(buffer, from, length);
                        if (stamp >= 0) {
                            onStamped.accept(id, stamp);
                        }
                    }
                }
            } else {
                byte[] bytes = new byte[length];
                buffer.get(from, bytes);
                lastText = new String(bytes, StandardCharsets.UTF_8);
            }
        }
    }

    private static boolean startsWith(ByteBuffer buffer, int from, int length, String prefix) {
        if (length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (buffer.get(from + i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Where {@code key} ends in {@code buffer[from, from + length)}, or -1. */
    private static int after(ByteBuffer buffer, int from, int length, byte[] key) {
        int end = from + length;
        outer:
        for (int at = from; at <= end - key.length; at++) {
            for (int k = 0; k < key.length; k++) {
                if (buffer.get(at + k) != key[k]) {
                    continue outer;
                }
            }
            return at + key.length;
        }
        return -1;
    }

    /** The epoch millis of a MESSAGE body's {@code "sentAt":"<ISO instant>"}, or -1. */
    static long stampIn(ByteBuffer buffer, int from, int length) {
        int start = after(buffer, from, length, STAMP_KEY);
        if (start < 0) {
            return -1;
        }
        int end = start;
        while (end < from + length && buffer.get(end) != '"') {
            end++;
        }
        byte[] text = new byte[end - start];
        buffer.get(start, text);
        try {
            return Instant.parse(new String(text, StandardCharsets.US_ASCII)).toEpochMilli();
        } catch (DateTimeParseException e) {
            return -1;
        }
    }

    /** The message id in a MESSAGE's body ({@code "text":"m<id>"}), or -1. */
    static long idIn(ByteBuffer buffer, int from, int length) {
        int end = from + length;
        int digit = after(buffer, from, length, TEXT_KEY);
        if (digit < 0 || digit >= end || buffer.get(digit) < '0' || buffer.get(digit) > '9') {
            return -1;
        }
        long id = 0;
        for (; digit < end && buffer.get(digit) >= '0' && buffer.get(digit) <= '9'; digit++) {
            id = id * 10 + (buffer.get(digit) - '0');
        }
        return id;
    }

    private static String accept(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1")
                    .digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
    }
}
