package io.chorus.app.push;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;

/**
 * STOMP over a WebSocket spoken by hand on a plain socket: to send what no well-behaved client sends (garbage,
 * oversized frames), to see ERROR frames as they are, and to stop reading (a slow consumer).
 */
public final class RawStomp implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final StringBuilder text = new StringBuilder();

    private RawStomp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static RawStomp open(int port) throws IOException {
        return open(port, 0);
    }

    /** With {@code receiveBuffer} > 0, the socket's receive buffer is that small (a slow reader fills it soon). */
    public static RawStomp open(int port, int receiveBuffer) throws IOException {
        return open(port, receiveBuffer, null);
    }

    /** With an {@code Origin} header on the handshake (null: none, as a non-browser client sends). */
    static RawStomp open(int port, int receiveBuffer, String origin) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new java.net.InetSocketAddress("localhost", port), 5000);
        socket.setSoTimeout(10_000);
        RawStomp raw = new RawStomp(socket);
        try {
            raw.handshake(port, origin);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        return raw;
    }

    private void handshake(int port, String origin) throws IOException {
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        String request = "GET /ws/websocket HTTP/1.1\r\nHost: localhost:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key) + "\r\n"
                + (origin == null ? "" : "Origin: " + origin + "\r\n")
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n";
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("no handshake answer");
            }
            head.write(b);
        }
        String status = head.toString(StandardCharsets.US_ASCII);
        if (!status.startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + status);
        }
    }

    /** How long a read waits for the server before giving up (10 s unless set). */
    public void readTimeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
    }

    /** Sends one STOMP frame (the terminating NUL is added) as one masked text message. */
    public void sendFrame(String frame) throws IOException {
        sendText((frame + "\0").getBytes(StandardCharsets.UTF_8));
    }

    /** Sends bytes as one masked text message, whether they are UTF-8 or not. */
    public void sendText(byte[] payload) throws IOException {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        message.write(0x81);
        if (payload.length < 126) {
            message.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            message.write(0x80 | 126);
            message.write(payload.length >>> 8);
            message.write(payload.length & 0xff);
        } else {
            message.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                message.write((int) (((long) payload.length >>> shift) & 0xff));
            }
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        message.write(mask);
        for (int i = 0; i < payload.length; i++) {
            message.write(payload[i] ^ mask[i % 4]);
        }
        out.write(message.toByteArray());
        out.flush();
    }

    /** Reads until the text received holds {@code end}; returns the text up to it and keeps the rest. */
    public String readUntil(String end) throws IOException {
        int at;
        while ((at = text.indexOf(end)) < 0) {
            if (!readMessage()) {
                throw new EOFException("closed before '" + end + "'; got: " + text);
            }
        }
        String frame = text.substring(0, at);
        text.delete(0, at + end.length());
        // heart-beats are bare newlines between frames
        return frame.stripLeading();
    }

    /** Whether the server closes the connection within the time (reading and dropping what still comes). */
    public boolean closedWithin(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (!readMessage()) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }
        return false;
    }

    /** Reads one WebSocket message into the text; false at a close frame or the end of the stream. */
    private boolean readMessage() throws IOException {
        int first = in.read();
        if (first < 0) {
            return false;
        }
        int opcode = first & 0x0f;
        long length = in.readUnsignedByte() & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        if (opcode == 0x8) {
            return false;
        }
        if (opcode == 0x1 || opcode == 0x0) {
            text.append(new String(payload, StandardCharsets.UTF_8));
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
