package io.chorus.eventstore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.axonframework.eventhandling.EventMessage;

/**
 * Group commit: the appends of concurrent commands are written by one thread, as many as are waiting in one
 * transaction, and each command returns once the transaction holding its events has committed. A command still
 * waits for a durable commit, but the commit (and its WAL flush) is shared.
 *
 * <p>An append that finds nothing waiting for the writer and no write under way is written on its own thread, in a
 * transaction of its own: handing it to the writer thread and waiting for it to answer would cost two thread
 * wake-ups for a batch of one, which on a lightly loaded node is most batches. Writes never overlap: while one is
 * under way, the appends that arrive queue up for the writer, which writes them together once it is done, and no
 * later append goes ahead of them.
 *
 * <p>If a combined transaction fails (typically one command lost the race for its group's next position), each
 * command's events are written again in a transaction of their own, so only the failing command fails and nothing
 * of it is stored. A failure need not mean nothing was stored: when the answer to a {@code COMMIT} is lost, the
 * transaction may have committed. So before anything is written again, or a failure is reported, the store is asked
 * whether the events are there; if they are, the append succeeded.
 */
final class GroupCommitter implements AutoCloseable {

    private record Pending(List<? extends EventMessage<?>> events, CompletableFuture<Void> done) {}

    /** Far beyond any commit; only a writer that died or a database that hangs gets here. */
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(60);

    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /** Held by whoever writes: the writer thread, or an append written on its own thread. */
    private final ReentrantLock writing = new ReentrantLock();
    /** Appends handed to the writer thread and not yet written. */
    private final AtomicInteger handedOver = new AtomicInteger();

    private final Consumer<List<? extends EventMessage<?>>> appendInTransaction;
    private final Predicate<List<? extends EventMessage<?>>> stored;
    private final int maxCommands;
    private final Thread writer;
    private volatile boolean running = true;

    GroupCommitter(Consumer<List<? extends EventMessage<?>>> appendInTransaction, int maxCommands) {
        this(appendInTransaction, events -> false, maxCommands);
    }

    /** {@code stored}: whether all of the events are in the store (asked after a failed append). */
    GroupCommitter(
            Consumer<List<? extends EventMessage<?>>> appendInTransaction,
            Predicate<List<? extends EventMessage<?>>> stored,
            int maxCommands) {
        this.appendInTransaction = appendInTransaction;
        this.stored = stored;
        this.maxCommands = maxCommands;
        this.writer = new Thread(this::run, "chorus-group-commit");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /** Appends {@code events} durably, together with whatever else is waiting; throws what the append threw. */
    void append(List<? extends EventMessage<?>> events) {
        if (!running) {
            throw new IllegalStateException("the event store is shutting down");
        }
        if (handedOver.get() == 0 && writing.tryLock()) {
            try {
                appendInTransaction.accept(events);
                return;
            } catch (RuntimeException e) {
                if (!storedAfterAll(events, e)) {
                    throw e;
                }
                return;
            } finally {
                writing.unlock();
            }
        }
        Pending pending = new Pending(events, new CompletableFuture<>());
        handedOver.incrementAndGet();
        queue.add(pending);
        try {
            pending.done().get(ANSWER_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("appending events failed", e.getCause());
        } catch (TimeoutException e) {
            // the command fails; if the writer still commits later, a retried send answers with the original seq
            throw new IllegalStateException("the group-commit writer did not answer within " + ANSWER_WITHIN, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while appending events", e);
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                // an append being written on its own thread finishes first; those waiting meanwhile join the batch
                writing.lock();
                try {
                    queue.drainTo(batch, maxCommands - 1);
                    write(batch);
                } finally {
                    writing.unlock();
                }
            } catch (RuntimeException | Error e) {
                // keep the writer alive for the commands after these
                batch.forEach(p -> p.done().completeExceptionally(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            } finally {
                handedOver.addAndGet(-batch.size());
                batch.clear();
            }
        }
    }

    private void write(List<Pending> batch) {
        if (batch.size() == 1) {
            writeAlone(batch.get(0));
            return;
        }
        List<EventMessage<?>> all = new ArrayList<>();
        batch.forEach(p -> all.addAll(p.events()));
        try {
            appendInTransaction.accept(all);
            batch.forEach(p -> p.done().complete(null));
        } catch (RuntimeException e) {
            if (storedAfterAll(all, e)) {
                batch.forEach(p -> p.done().complete(null));
            } else {
                batch.forEach(this::writeAlone);
            }
        }
    }

    private void writeAlone(Pending pending) {
        try {
            appendInTransaction.accept(pending.events());
            pending.done().complete(null);
        } catch (RuntimeException e) {
            if (storedAfterAll(pending.events(), e)) {
                pending.done().complete(null);
            } else {
                pending.done().completeExceptionally(e);
            }
        }
    }

    /** Whether a failed append's events are in the store all the same; when that cannot be told, they are not. */
    private boolean storedAfterAll(List<? extends EventMessage<?>> events, RuntimeException failure) {
        try {
            return stored.test(events);
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
            return false;
        }
    }

    /** Appends handed to the writer thread and not yet written (for tests). */
    int waiting() {
        return handedOver.get();
    }

    @Override
    public void close() {
        running = false;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Pending left;
        while ((left = queue.poll()) != null) {
            left.done().completeExceptionally(new IllegalStateException("the event store shut down"));
        }
    }
}
