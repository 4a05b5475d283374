package io.chorus.query.events;

import java.io.IOException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.axonframework.common.stream.BlockingStream;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The Server-Sent Event streams of integrators: each has a thread of its own that follows the event store from the
 * client's position and writes every event (its position as the SSE {@code id}) as soon as it is committed. A
 * comment line goes out when the stream is idle, so a client that went away is noticed and its thread ends.
 */
@Component
class EventStreams {

    private static final Logger log = LoggerFactory.getLogger(EventStreams.class);

    /** What a reconnecting EventSource waits before it reconnects. */
    private static final long RECONNECT_MILLIS = 1000;

    private final EventStreamReader reader;
    private final EventStreamProperties properties;
    private final Semaphore slots;
    private final AtomicInteger streamNumber = new AtomicInteger();

    EventStreams(EventStreamReader reader, EventStreamProperties properties) {
        this.reader = reader;
        this.properties = properties;
        this.slots = new Semaphore(properties.maxStreams());
    }

    /** Streams open now on this node. */
    int open() {
        return properties.maxStreams() - slots.availablePermits();
    }

    /** A new stream after {@code after}, or null when this node already serves as many as it may. */
    SseEmitter start(TrackingToken after, EventFilter filter) {
        if (!slots.tryAcquire()) {
            return null;
        }
        SseEmitter emitter = new SseEmitter(0L);
        Thread thread =
                new Thread(() -> stream(emitter, after, filter), "chorus-events-" + streamNumber.incrementAndGet());
        thread.setDaemon(true);
        emitter.onCompletion(thread::interrupt);
        emitter.onTimeout(thread::interrupt);
        emitter.onError(e -> thread.interrupt());
        thread.start();
        return emitter;
    }

    private void stream(SseEmitter emitter, TrackingToken after, EventFilter filter) {
        long idleMillis = properties.heartbeat().toMillis();
        try (BlockingStream<TrackedEventMessage<?>> events = reader.follow(after)) {
            emitter.send(SseEmitter.event().reconnectTime(RECONNECT_MILLIS).comment("chorus event stream"));
            while (!Thread.currentThread().isInterrupted()) {
                if (!events.hasNextAvailable((int) idleMillis, TimeUnit.MILLISECONDS)) {
                    emitter.send(SseEmitter.event().comment("idle"));
                    continue;
                }
                IntegratorEvent.of(events.nextAvailable())
                        .filter(filter::accepts)
                        .ifPresent(event -> send(emitter, event));
            }
            emitter.complete();
        } catch (InterruptedException e) {
            emitter.complete();
        } catch (IOException | IllegalStateException e) {
            // the client went away (or the response was completed under us): nothing to tell anyone
            log.debug("event stream ended: {}", e.toString());
        } catch (RuntimeException e) {
            log.warn("event stream failed; the client reconnects with Last-Event-ID", e);
            emitter.completeWithError(e);
        } finally {
            slots.release();
        }
    }

    private static void send(SseEmitter emitter, IntegratorEvent event) {
        try {
            emitter.send(SseEmitter.event().id(event.position()).data(event, MediaType.APPLICATION_JSON));
        } catch (IOException e) {
            throw new IllegalStateException("the client went away", e);
        }
    }
}
