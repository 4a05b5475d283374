package io.chorus.bench.push;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The frames a WebSocket server sends (RFC 6455, unmasked) from a byte stream read in pieces of any size: each whole
 * text message (put together again if the server sent it in fragments) and each ping go to the handler.
 */
final class WebSocketFrames {

    /** What a connection does with what the server sent. */
    interface Handler {
        /** A whole text message, at {@code buffer[from, from + length)}, valid only during the call. */
        void text(ByteBuffer buffer, int from, int length);

        /** A ping, to be answered with a pong carrying the same body. */
        void ping(byte[] body) throws IOException;
    }

    private static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;
    static final int PONG = 0xA;

    private final Handler handler;
    /** Bytes read and not yet parsed, in read mode between feeds. */
    private ByteBuffer pending = ByteBuffer.allocate(4096).flip();
    /** A text message arriving in more than one frame, until its last. */
    private byte[] fragments;

    WebSocketFrames(Handler handler) {
        this.handler = handler;
    }

    /** Takes what was read and hands every complete frame over; false once a close frame came. */
    boolean feed(ByteBuffer read) throws IOException {
        append(read);
        while (pending.remaining() >= 2) {
            int start = pending.position();
            int first = pending.get(start) & 0xFF;
            int header = 2;
            long length = pending.get(start + 1) & 0x7F;
            if (length == 126) {
                header = 4;
                if (pending.remaining() < header) {
                    break;
                }
                length = pending.getShort(start + 2) & 0xFFFF;
            } else if (length == 127) {
                header = 10;
                if (pending.remaining() < header) {
                    break;
                }
                length = pending.getLong(start + 2);
            }
            if (pending.remaining() < header + length) {
                break;
            }
            int payload = start + header;
            if (!frame(first, payload, (int) length)) {
                return false;
            }
            pending.position(payload + (int) length);
        }
        pending.compact().flip();
        return true;
    }

    private void append(ByteBuffer read) {
        if (pending.capacity() - pending.limit() < read.remaining()) {
            ByteBuffer bigger =
                    ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.remaining() + read.remaining()));
            bigger.put(pending);
            pending = bigger.flip();
        }
        int unparsed = pending.position();
        int end = pending.limit();
        pending.limit(end + read.remaining()).position(end);
        pending.put(read);
        pending.position(unparsed);
    }

    private boolean frame(int first, int from, int length) throws IOException {
        boolean last = (first & 0x80) != 0;
        switch (first & 0x0F) {
            case TEXT, CONTINUATION -> {
                if (last && fragments == null) {
                    handler.text(pending, from, length);
                } else {
                    fragments = concat(fragments, from, length);
                    if (last) {
                        byte[] whole = fragments;
                        fragments = null;
                        handler.text(ByteBuffer.wrap(whole), 0, whole.length);
                    }
                }
                return true;
            }
            case PING -> {
                byte[] body = new byte[length];
                pending.get(from, body);
                handler.ping(body);
                return true;
            }
            case CLOSE -> {
                return false;
            }
            default -> {
                // binary and pong: nothing the harness uses
                return true;
            }
        }
    }

    private byte[] concat(byte[] before, int from, int length) {
        int had = before == null ? 0 : before.length;
        byte[] all = new byte[had + length];
        if (before != null) {
            System.arraycopy(before, 0, all, 0, had);
        }
        pending.get(from, all, had, length);
        return all;
    }
}
