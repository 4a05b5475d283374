package io.chorus.query.events;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.axonframework.common.stream.BlockingStream;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * Long polls of {@code GET /api/events?wait=S} that hold no request thread while they wait. One watcher thread
 * follows the event store's tail; each new event wakes the waiting polls whose filter it passes, and a woken poll
 * reads its page on a small pool. A poll that finds nothing by its deadline answers what it looked at (its
 * {@code next}). At most {@code chorus.events.max-waiting-polls} wait on a node at once.
 */
@Component
class LongPolls implements SmartLifecycle, MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(LongPolls.class);

    /** Time a poll with nothing new gives the event store to hand over what it is loading. */
    static final long GRACE_MILLIS = 20;

    /** How long the watcher waits for an event before it looks again whether it should stop. */
    private static final int WATCH_MILLIS = 1000;

    private final EventStreamReader reader;
    private final EventStreamProperties properties;
    private final Set<Waiting> waiting = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    private final ExecutorService readers;
    private final ScheduledExecutorService deadlines;
    private volatile boolean running;
    private Thread watcher;

    LongPolls(EventStreamReader reader, EventStreamProperties properties) {
        this.reader = reader;
        this.properties = properties;
        this.readers = Executors.newFixedThreadPool(2, daemon("chorus-long-poll"));
        this.deadlines = Executors.newSingleThreadScheduledExecutor(daemon("chorus-long-poll-deadlines"));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger number = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** A poll waiting for an event that passes its filter, or for its deadline. */
    private final class Waiting {
        final int limit;
        final EventFilter filter;
        final long deadline;
        final DeferredResult<ResponseEntity<?>> result;
        /** Where the next read starts; moves on past events the filter left out. */
        volatile TrackingToken from;
        /** What {@code next} says when nothing was read at all. */
        volatile String next;
        /** A read is queued or running; a wake-up meanwhile sets {@link #again}. */
        final AtomicBoolean queued = new AtomicBoolean();

        volatile boolean again;

        Waiting(TrackingToken from, String next, int limit, EventFilter filter, long waitMillis) {
            this.from = from;
            this.next = next;
            this.limit = limit;
            this.filter = filter;
            this.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            // the servlet container's own async timeout must not come first
            this.result = new DeferredResult<>(waitMillis + 10_000L);
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("chorus.events.waiting.polls", count, AtomicInteger::get)
                .description("long polls of the event stream waiting on this node")
                .register(registry);
    }

    /**
     * A poll that answers once an event after {@code from} passes the filter, or after {@code waitMillis} with
     * nothing; null when this node already holds as many waiting polls as it may.
     */
    DeferredResult<ResponseEntity<?>> await(
            TrackingToken from, String after, int limit, EventFilter filter, long waitMillis) {
        if (count.incrementAndGet() > properties.maxWaitingPolls()) {
            count.decrementAndGet();
            return null;
        }
        Waiting poll = new Waiting(from, after, limit, filter, waitMillis);
        poll.result.onCompletion(() -> {
            if (waiting.remove(poll)) {
                count.decrementAndGet();
            }
        });
        poll.result.onTimeout(() -> poll.result.setResult(answer(List.of(), poll)));
        waiting.add(poll);
        deadlines.schedule(() -> read(poll), waitMillis, TimeUnit.MILLISECONDS);
        // registered before the first read: an event committed meanwhile wakes it again
        read(poll);
        return poll.result;
    }

    private ResponseEntity<?> answer(List<IntegratorEvent> events, Waiting poll) {
        return ResponseEntity.ok(new EventStreamController.Poll(events, poll.next));
    }

    /** Queues a read of the poll's page, once however often it is woken while one is queued or running. */
    private void read(Waiting poll) {
        if (poll.result.isSetOrExpired()) {
            return;
        }
        poll.again = true;
        if (!poll.queued.compareAndSet(false, true)) {
            return;
        }
        try {
            readers.execute(() -> {
                try {
                    while (poll.again && !poll.result.isSetOrExpired()) {
                        poll.again = false;
                        readOnce(poll);
                    }
                } finally {
                    poll.queued.set(false);
                }
                if (poll.again) {
                    read(poll);
                }
            });
        } catch (RuntimeException e) {
            poll.queued.set(false);
            poll.result.setErrorResult(e);
        }
    }

    private void readOnce(Waiting poll) {
        try {
            EventStreamReader.Page page = reader.poll(poll.from, poll.limit, poll.filter, GRACE_MILLIS);
            if (page.next() != null && !page.next().equals(poll.next)) {
                poll.next = page.next();
                poll.from = page.last();
            }
            if (!page.events().isEmpty() || System.nanoTime() - poll.deadline >= 0) {
                poll.result.setResult(answer(page.events(), poll));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            poll.result.setErrorResult(e);
        } catch (RuntimeException e) {
            log.warn("a long poll of the event stream failed", e);
            poll.result.setErrorResult(e);
        }
    }

    private void watch() {
        while (running) {
            try (BlockingStream<TrackedEventMessage<?>> tail = reader.follow(reader.head())) {
                while (running) {
                    if (!tail.hasNextAvailable(WATCH_MILLIS, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    IntegratorEvent.of(tail.nextAvailable()).ifPresent(event -> {
                        for (Waiting poll : waiting) {
                            if (poll.filter.accepts(event)) {
                                read(poll);
                            }
                        }
                    });
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // the event store failed under the watcher: the waiting polls still answer at their deadline
                log.warn("the long polls' watcher of the event stream failed; it starts again", e);
                try {
                    Thread.sleep(WATCH_MILLIS);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    @Override
    public void start() {
        running = true;
        watcher = new Thread(this::watch, "chorus-long-poll-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    @Override
    public void stop() {
        running = false;
        if (watcher != null) {
            watcher.interrupt();
        }
        readers.shutdownNow();
        deadlines.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
