package io.chorus.push;

import io.chorus.push.EncodedTextSession.EncodedText;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHandler;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.SessionLimitExceededException;

/**
 * The frames Chorus itself sends to a session (group events, acks, resyncs, ERROR frames), one queue per session,
 * written by one sender at a time, so that a session's frames leave in the order they were queued and a slow session
 * holds up only itself; encoded frames waiting one behind another leave together in one WebSocket message
 * ({@link #COALESCED_LIMIT}), so that a session that fell behind catches up in fewer writes. Live events never wait;
 * a catch-up goes on when the queue has room instead of flooding it. A session is cut off, with the reason logged, when
 * its queue holds more than the buffer limit or a write to it has taken longer than the send time limit; it may
 * reconnect and resume from its last seq.
 */
@Component
class SessionOutboxes implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(SessionOutboxes.class);

    /**
     * Encoded frames waiting one behind another leave in one WebSocket message of at most this many bytes (STOMP frames
     * end with a NUL, so a client splits them as it would split a stream): one write, one system call, for a client
     * that fell behind, instead of one per frame. Tomcat sends a text message through an 8 KiB buffer, so a larger
     * one would go out in fragments, a write each.
     */
    static final int COALESCED_LIMIT = 8 * 1024;

    private final ObjectProvider<WebSocketHandler> stompHandler;
    private final long bufferLimit;
    /** All sessions' queues together may hold this much (a quarter of the heap), however many sessions there are. */
    private final long totalLimit = Runtime.getRuntime().maxMemory() / 4;

    private final AtomicLong totalQueued = new AtomicLong();
    private final long sendTimeLimitNanos;
    private final Map<String, Outbox> outboxes = new ConcurrentHashMap<>();
    private final Map<String, WebSocketSession> sockets = new ConcurrentHashMap<>();
    private final Map<String, WebSocketSession> writers = new ConcurrentHashMap<>();
    private final ExecutorService senders;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "push-watchdog");
        thread.setDaemon(true);
        return thread;
    });
    private volatile MessageHandler handler;
    private final PushMetrics metrics;

    SessionOutboxes(
            @Qualifier("subProtocolWebSocketHandler") ObjectProvider<WebSocketHandler> stompHandler,
            PushProperties properties,
            PushMetrics metrics) {
        this.stompHandler = stompHandler;
        this.metrics = metrics;
        Gauge.builder("chorus.push.sessions", sockets, Map::size)
                .description("STOMP sessions connected to this node")
                .register(metrics.registry);
        this.bufferLimit = properties.sendBufferSizeLimit().toBytes();
        this.sendTimeLimitNanos = properties.sendTimeLimit().toNanos();
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        this.senders = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "push-sender");
            thread.setDaemon(true);
            return thread;
        });
        watchdog.scheduleWithFixedDelay(this::cutOffStuckWrites, 500, 500, TimeUnit.MILLISECONDS);
    }

    /**
     * A frame waiting in a session's queue: a message for Spring's STOMP handler (a resync, an ERROR frame), or a frame
     * already encoded ({@link EventFrame}: a group event's, counted as a delivery, or an ack's), written as it is.
     */
    private record Queued(Message<byte[]> message, byte[] frame, long eventTimeMillis, boolean groupEvent) {
        /** What it costs in the queue: its frame, or its body and, roughly, its headers. */
        long size() {
            return frame != null ? frame.length : message.getPayload().length + 512L;
        }
    }

    /** Queues a frame (a message for the STOMP handler, with its session id) for the session. */
    void send(String sessionId, Message<byte[]> frame) {
        Outbox outbox = openOutbox(sessionId);
        if (outbox != null) {
            outbox.send(frame);
        }
    }

    /**
     * Queues an encoded frame (a group event's, or an ack's) for a subscription of the session ({@link
     * EventFrame#subscriptionHeaders}).
     */
    void send(String sessionId, byte[] subscriptionHeaders, EventFrame frame) {
        Outbox outbox = openOutbox(sessionId);
        if (outbox != null) {
            outbox.send(subscriptionHeaders, frame);
        }
    }

    /** Whether the session is connected (and not yet closed). */
    boolean isOpen(String sessionId) {
        return sockets.containsKey(sessionId);
    }

    /** The queue of a connected session, or null. */
    private Outbox openOutbox(String sessionId) {
        return sockets.containsKey(sessionId) ? outboxes.computeIfAbsent(sessionId, Outbox::new) : null;
    }

    /**
     * The session's queue, for a sender that sends to the session many times (a subscription): it keeps the queue
     * instead of looking the session up in two maps of all sessions for every frame (a third of the push follower's
     * time). Once the session closes the queue drops what it is given; a closed session's is such a queue already.
     */
    Outbox outbox(String sessionId) {
        Outbox outbox = openOutbox(sessionId);
        if (outbox == null || !sockets.containsKey(sessionId)) {
            // closed, or closing meanwhile (its queue may have been made after the close removed it)
            Outbox gone = outbox != null ? outbox : new Outbox(sessionId);
            gone.discard();
            outboxes.remove(sessionId, gone);
            return gone;
        }
        return outbox;
    }

    /** Sessions connected now. */
    int sessions() {
        return sockets.size();
    }

    void opened(WebSocketSession socket) {
        sockets.put(socket.getId(), socket);
    }

    /**
     * The session as Spring's STOMP handler writes to it (decorated to take one write at a time, within the send
     * limits): encoded event frames are written to it too, so they never interleave with Spring's own frames.
     */
    void writesThrough(WebSocketSession decorated) {
        writers.put(decorated.getId(), decorated);
    }

    void closed(String sessionId) {
        sockets.remove(sessionId);
        writers.remove(sessionId);
        Outbox outbox = outboxes.remove(sessionId);
        if (outbox != null) {
            outbox.discard();
        }
    }

    /** One session's queue of frames. */
    final class Outbox {
        private final String sessionId;
        private final ArrayDeque<Queued> queue = new ArrayDeque<>();
        private long queuedBytes;
        private boolean sending;
        private boolean discarded;
        /** The session as Spring's STOMP handler writes to it, looked up at the first encoded frame. */
        private WebSocketSession writer;
        /**
         * The encoded frames leaving in one message behind the one being written; only the sender draining the outbox
         * touches it, and it is empty between writes.
         */
        private final List<Queued> behind = new ArrayList<>();
        /** When the write in progress began, or 0. */
        private volatile long writeStartedAt;
        /** Catch-ups waiting for room in the queue ({@link #whenRoom}); guarded by this. */
        private final List<Runnable> waitingForRoom = new ArrayList<>();
        /** Since when the oldest of them waits, or 0. */
        private volatile long waitingSince;

        private Outbox(String sessionId) {
            this.sessionId = sessionId;
        }

        /** Queues an encoded frame for a subscription ({@link EventFrame#subscriptionHeaders}). */
        void send(byte[] subscriptionHeaders, EventFrame frame) {
            offer(new Queued(
                    null, frame.forSubscription(subscriptionHeaders), frame.eventTimeMillis, frame.groupEvent));
        }

        /** Queues a frame for the STOMP handler (a resync, an ERROR frame). */
        void send(Message<byte[]> frame) {
            offer(new Queued(frame, null, 0, false));
        }

        /**
         * For senders that can wait without holding a thread (a catch-up): runs {@code next} on the calling thread
         * when the queue is at most half full, else later, on the thread that drains it below that. It also runs when
         * the session ends or is cut off (then {@link #ended} is true), and a queue that does not drain within the
         * send time limit is cut off.
         */
        void whenRoom(Runnable next) {
            synchronized (this) {
                if (!discarded && queuedBytes > bufferLimit / 2) {
                    if (waitingForRoom.isEmpty()) {
                        waitingSince = System.nanoTime();
                    }
                    waitingForRoom.add(next);
                    return;
                }
            }
            next.run();
        }

        /** Whether the queue is at most half full (and the session open): a catch-up may queue more. */
        synchronized boolean hasRoom() {
            return !discarded && queuedBytes <= bufferLimit / 2;
        }

        /** Whether the session ended or was cut off: nothing more is sent to it. */
        synchronized boolean ended() {
            return discarded;
        }

        /** Takes the waiting catch-ups if there is room for them now (or the queue was discarded); under the lock. */
        private List<Runnable> roomMadeLocked() {
            if (waitingForRoom.isEmpty() || (!discarded && queuedBytes > bufferLimit / 2)) {
                return List.of();
            }
            List<Runnable> ready = new ArrayList<>(waitingForRoom);
            waitingForRoom.clear();
            waitingSince = 0;
            return ready;
        }

        private void offer(Queued frame) {
            boolean start;
            String cutOffReason = null;
            synchronized (this) {
                if (discarded) {
                    return;
                }
                long size = frame.size();
                boolean behind = !queue.isEmpty();
                queue.add(frame);
                queuedBytes += size;
                long total = totalQueued.addAndGet(size);
                if (queuedBytes > bufferLimit) {
                    cutOffReason = "more than " + bufferLimit + " bytes waited to be sent to it";
                } else if (behind && total > totalLimit) {
                    // the node as a whole cannot keep up: shed the clients that are behind before memory runs out
                    cutOffReason = "it was behind while all clients' queues held more than " + totalLimit + " bytes";
                }
                start = cutOffReason == null && !sending;
                sending |= start;
            }
            if (cutOffReason != null) {
                discard();
                cutOff(sessionId, cutOffReason);
            } else if (start) {
                senders.execute(this::drain);
            }
        }

        private void drain() {
            while (true) {
                Queued frame;
                List<Runnable> ready;
                synchronized (this) {
                    frame = queue.poll();
                    if (frame == null || discarded) {
                        sending = false;
                        return;
                    }
                    long size = frame.size();
                    if (frame.frame() != null) {
                        // the encoded frames queued right behind it go in the same WebSocket message
                        Queued next;
                        while ((next = queue.peek()) != null
                                && next.frame() != null
                                && size + next.frame().length <= COALESCED_LIMIT) {
                            behind.add(queue.poll());
                            size += next.frame().length;
                        }
                    }
                    queuedBytes -= size;
                    totalQueued.addAndGet(-size);
                    ready = roomMadeLocked();
                }
                ready.forEach(Runnable::run);
                writeStartedAt = System.nanoTime();
                try {
                    if (frame.frame() != null) {
                        write(frame);
                    } else {
                        handler().handleMessage(frame.message());
                    }
                } catch (RuntimeException e) {
                    // the session is gone or failing; Spring closes it and its subscriptions go with it
                    log.debug("sending to session {} failed", sessionId, e);
                } finally {
                    writeStartedAt = 0;
                }
            }
        }

        /**
         * An encoded frame (an event's or an ack's), through the session Spring writes to; a failed write ends the
         * session, as there. Only the one sender draining the outbox calls it, so the writer needs no lock; it is kept
         * rather than looked up in the map of a thousand sessions for every frame.
         */
        private void write(Queued frame) {
            if (writer == null) {
                writer = writers.get(sessionId);
                if (writer == null) {
                    behind.clear();
                    return;
                }
            }
            try {
                // a text message of the frames' UTF-8 bytes, written as they are (EncodedTextSession)
                writer.sendMessage(new EncodedText(behind.isEmpty() ? frame.frame() : concat(frame, behind)));
                delivered(frame, false);
                for (Queued next : behind) {
                    delivered(next, true);
                }
            } catch (SessionLimitExceededException e) {
                discard();
                cutOff(sessionId, e.getMessage());
            } catch (IOException | RuntimeException e) {
                log.debug("sending to session {} failed; closing it", sessionId, e);
                discard();
                close(sessionId, CloseStatus.PROTOCOL_ERROR);
            } finally {
                behind.clear();
            }
        }

        private void delivered(Queued frame, boolean coalesced) {
            if (frame.groupEvent()) {
                metrics.delivered(frame.eventTimeMillis(), coalesced);
            }
        }

        private static byte[] concat(Queued first, List<Queued> behind) {
            int length = first.frame().length;
            for (Queued next : behind) {
                length += next.frame().length;
            }
            byte[] frames = Arrays.copyOf(first.frame(), length);
            int at = first.frame().length;
            for (Queued next : behind) {
                System.arraycopy(next.frame(), 0, frames, at, next.frame().length);
                at += next.frame().length;
            }
            return frames;
        }

        /** Drops what is queued and anything offered later; true if it was not discarded already. */
        boolean discard() {
            boolean first;
            List<Runnable> ready;
            synchronized (this) {
                first = !discarded;
                discardLocked();
                ready = roomMadeLocked();
            }
            // the waiting catch-ups learn that the session ended
            ready.forEach(Runnable::run);
            return first;
        }

        private void discardLocked() {
            discarded = true;
            queue.clear();
            totalQueued.addAndGet(-queuedBytes);
            queuedBytes = 0;
        }

        boolean stuck(long now) {
            long started = writeStartedAt;
            long waiting = waitingSince;
            return (started != 0 && now - started > sendTimeLimitNanos)
                    || (waiting != 0 && now - waiting > sendTimeLimitNanos);
        }
    }

    private void cutOffStuckWrites() {
        // a frame or a decoration that raced a session's closing may have left an outbox or a writer behind
        writers.keySet().removeIf(sessionId -> !sockets.containsKey(sessionId));
        outboxes.entrySet().removeIf(entry -> {
            if (sockets.containsKey(entry.getKey())) {
                return false;
            }
            entry.getValue().discard();
            return true;
        });
        long now = System.nanoTime();
        outboxes.values().stream().filter(outbox -> outbox.stuck(now)).toList().forEach(outbox -> {
            outbox.discard();
            cutOff(outbox.sessionId, "a write to it took longer than " + sendTimeLimitNanos / 1_000_000 + " ms");
        });
    }

    private void cutOff(String sessionId, String reason) {
        metrics.cutOff();
        log.warn("cut off slow session {}: {}; it may reconnect and resume from its last seq", sessionId, reason);
        close(sessionId, CloseStatus.SESSION_NOT_RELIABLE);
    }

    private void close(String sessionId, CloseStatus status) {
        WebSocketSession socket = sockets.get(sessionId);
        if (socket != null) {
            // closing may block on the same stuck socket: not on a sender's or the caller's thread
            watchdog.execute(() -> {
                try {
                    socket.close(status);
                } catch (Exception e) {
                    log.debug("closing session {} failed", sessionId, e);
                }
            });
        }
    }

    private MessageHandler handler() {
        MessageHandler current = handler;
        if (current == null) {
            // the STOMP handler is built after this class's users; it sends frames to clients like the broker does
            current = (MessageHandler) stompHandler.getObject();
            handler = current;
        }
        return current;
    }

    @Override
    public void destroy() {
        senders.shutdownNow();
        watchdog.shutdownNow();
    }
}
