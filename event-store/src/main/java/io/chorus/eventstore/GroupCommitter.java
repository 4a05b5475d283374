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
import java.util.function.Consumer;
import org.axonframework.eventhandling.EventMessage;

/**
 * Group commit: the appends of concurrent commands are written by one thread, as many as are waiting in one
 * transaction, and each command returns once the transaction holding its events has committed. A command still
 * waits for a durable commit, but the commit (and its WAL flush) is shared.
 *
 * <p>If a combined transaction fails (typically one command lost the race for its group's next position), each
 * command's events are written again in a transaction of their own, so only the failing command fails and nothing
 * of it is stored.
 */
final class GroupCommitter implements AutoCloseable {

    private record Pending(List<? extends EventMessage<?>> events, CompletableFuture<Void> done) {}

    /** Far beyond any commit; only a writer that died or a database that hangs gets here. */
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(60);

    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Consumer<List<? extends EventMessage<?>>> appendInTransaction;
    private final int maxCommands;
    private final Thread writer;
    private volatile boolean running = true;

    GroupCommitter(Consumer<List<? extends EventMessage<?>>> appendInTransaction, int maxCommands) {
        this.appendInTransaction = appendInTransaction;
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
        Pending pending = new Pending(events, new CompletableFuture<>());
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
                queue.drainTo(batch, maxCommands - 1);
                write(batch);
            } catch (RuntimeException | Error e) {
                // keep the writer alive for the commands after these
                batch.forEach(p -> p.done().completeExceptionally(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            } finally {
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
            batch.forEach(this::writeAlone);
        }
    }

    private void writeAlone(Pending pending) {
        try {
            appendInTransaction.accept(pending.events());
            pending.done().complete(null);
        } catch (RuntimeException e) {
            pending.done().completeExceptionally(e);
        }
    }

    /** Appends waiting for the writer (for tests and metrics). */
    int waiting() {
        return queue.size();
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
