package io.chorus.bench.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The adversarial workload for an event stream: writers append in transactions of their own, some holding the
 * transaction open for a while before committing, while a reader follows the stream from its head. At the end
 * the reader's events are compared with the committed ones: lost, duplicated, and any step backwards of the
 * reader's position.
 *
 * <p>With {@link Settings#pinnedHazard()} a textbook case is added to the random delays: a transaction that
 * takes its index first and commits last, and a second one that starts later, commits before it and is read
 * after the gap timeout has passed. A gap-based reader gives the first one up.
 */
public final class StreamHazardRun {

    public record Settings(
            int writers,
            int transactionsPerWriter,
            int maxEventsPerTransaction,
            double slowShare,
            Duration fastHoldMax,
            Duration slowHoldMin,
            Duration slowHoldMax,
            boolean pinnedHazard,
            Duration quietPeriod) {}

    public record Report(
            String engine,
            int committed,
            int delivered,
            int lost,
            int duplicates,
            int backwardSteps,
            Duration writeTime) {

        public String line() {
            return String.format(
                    "%-14s committed=%d delivered=%d lost=%d duplicates=%d backward-steps=%d write-time=%.1fs",
                    engine, committed, delivered, lost, duplicates, backwardSteps, writeTime.toMillis() / 1000.0);
        }
    }

    private StreamHazardRun() {}

    public static Report run(
            String name, EventStorageEngine engine, TransactionTemplate transactions, Settings settings)
            throws Exception {
        String runId = "hz" + UUID.randomUUID().toString().substring(0, 8);
        Set<String> committed = ConcurrentHashMap.newKeySet();
        Map<String, Integer> delivered = new HashMap<>();
        AtomicBoolean writersDone = new AtomicBoolean();
        int[] backwardSteps = {0};

        TrackingToken start = engine.createHeadToken();
        ExecutorService pool = Executors.newFixedThreadPool(settings.writers() + 3);
        CountDownLatch readerStarted = new CountDownLatch(1);
        Future<?> reader = pool.submit(() -> {
            TrackingToken token = start;
            long quietSince = System.nanoTime();
            readerStarted.countDown();
            while (true) {
                int before = delivered.size();
                try (Stream<? extends TrackedEventMessage<?>> events = engine.readEvents(token, false)) {
                    Iterator<? extends TrackedEventMessage<?>> iterator = events.iterator();
                    while (iterator.hasNext()) {
                        TrackedEventMessage<?> event = iterator.next();
                        TrackingToken next = event.trackingToken();
                        if (token != null && token.covers(next)) {
                            backwardSteps[0]++;
                        }
                        token = next;
                        String id = String.valueOf(event.getPayload());
                        if (id.startsWith(runId)) {
                            delivered.merge(id, 1, Integer::sum);
                        }
                    }
                }
                if (delivered.size() != before) {
                    quietSince = System.nanoTime();
                }
                boolean everything = writersDone.get() && delivered.keySet().containsAll(committed);
                boolean quiet = writersDone.get()
                        && System.nanoTime() - quietSince
                                > settings.quietPeriod().toNanos();
                if (everything || quiet) {
                    return null;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
        });
        readerStarted.await();

        long writeStart = System.nanoTime();
        List<Future<?>> writers = new ArrayList<>();
        if (settings.pinnedHazard()) {
            // first: takes its index now and commits last, after the gap timeout
            writers.add(pool.submit(
                    () -> append(engine, transactions, runId, "pinned-first", 1, Duration.ofMillis(2500), committed)));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            // second: a later index, committed well before the first and read once older than the gap timeout
            writers.add(pool.submit(
                    () -> append(engine, transactions, runId, "pinned-second", 1, Duration.ofMillis(1200), committed)));
        }
        for (int w = 0; w < settings.writers(); w++) {
            int writer = w;
            writers.add(pool.submit(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int t = 0; t < settings.transactionsPerWriter(); t++) {
                    boolean slow = random.nextDouble() < settings.slowShare();
                    long holdMillis = slow
                            ? random.nextLong(
                                    settings.slowHoldMin().toMillis(),
                                    settings.slowHoldMax().toMillis() + 1)
                            : random.nextLong(settings.fastHoldMax().toMillis() + 1);
                    int events = 1 + random.nextInt(settings.maxEventsPerTransaction());
                    append(
                            engine,
                            transactions,
                            runId,
                            writer + "-" + t,
                            events,
                            Duration.ofMillis(holdMillis),
                            committed);
                }
                return null;
            }));
        }
        for (Future<?> writer : writers) {
            writer.get();
        }
        Duration writeTime = Duration.ofNanos(System.nanoTime() - writeStart);
        writersDone.set(true);
        reader.get();
        pool.shutdown();

        Set<String> missing = new HashSet<>(committed);
        missing.removeAll(delivered.keySet());
        int duplicates = delivered.values().stream().mapToInt(n -> n - 1).sum();
        return new Report(
                name, committed.size(), delivered.size(), missing.size(), duplicates, backwardSteps[0], writeTime);
    }

    /** One transaction: append {@code events} events of one aggregate, hold the transaction open, commit. */
    private static Object append(
            EventStorageEngine engine,
            TransactionTemplate transactions,
            String runId,
            String name,
            int events,
            Duration hold,
            Set<String> committed) {
        List<DomainEventMessage<?>> batch = new ArrayList<>();
        String aggregateId = runId + "-" + name;
        for (int i = 0; i < events; i++) {
            batch.add(new GenericDomainEventMessage<>("hazard", aggregateId, i, aggregateId + "#" + i));
        }
        transactions.executeWithoutResult(status -> {
            engine.appendEvents(batch);
            if (!hold.isZero()) {
                LockSupport.parkNanos(hold.toNanos());
            }
        });
        batch.forEach(e -> committed.add((String) e.getPayload()));
        return null;
    }
}
