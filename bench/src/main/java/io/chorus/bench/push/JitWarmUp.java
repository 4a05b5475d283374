package io.chorus.bench.push;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * When a long window's warm-up ends: after at least {@code minimum}, once the server JVM's JIT compiler threads took
 * less than {@link #SETTLED_SHARE} of a core in each of the last {@link #QUIET_SLICES} slices of {@link #SLICE} (the
 * first of them end before the minimum, so a settled JIT ends it at the minimum), or at {@code maximum} whatever they
 * took. One quiet slice was not enough: the JIT often flared again in the window measured after it. On two cores
 * shared with the load, C2 can still be compiling after a minute (a third of a core in some runs, a few percent in
 * others, same code, same hour), and a window measured then measures the compiler, not the server. Readings of
 * {@code /proc} are taken off the pacer's thread; {@link #warm(long)} never blocks.
 */
final class JitWarmUp {

    /** Below this share of a core the compiler is settled: the 3–7% left after three minutes in the runs seen. */
    static final double SETTLED_SHARE = 0.05;

    static final Duration SLICE = Duration.ofSeconds(10);

    /** Quiet slices in a row that make it settled. */
    static final int QUIET_SLICES = 2;

    private final Supplier<ProcessCpu.Reading> cpu;
    private final Executor readers;
    private final long start;
    private final long minimumEnd;
    private final long maximumEnd;
    private final long firstReading;
    private CompletableFuture<ProcessCpu.Reading> from;
    private CompletableFuture<ProcessCpu.Reading> to;
    private long nextCheck;
    private int quiet;
    private double lastShare = Double.NaN;
    private long endedAt;
    private boolean settled;
    /** No readings to judge by: the minimum it is. */
    private boolean blind;

    /** {@code cpu}: the server's readings ({@link ProcessCpu#read}), taken on {@code readers}. */
    JitWarmUp(Supplier<ProcessCpu.Reading> cpu, Executor readers, long startNanos, Duration minimum, Duration maximum) {
        this.cpu = cpu;
        this.readers = readers;
        this.start = startNanos;
        this.minimumEnd = startNanos + minimum.toNanos();
        this.maximumEnd = startNanos + Math.max(minimum.toNanos(), maximum.toNanos());
        this.firstReading = Math.max(startNanos, minimumEnd - QUIET_SLICES * SLICE.toNanos());
        this.nextCheck = firstReading + SLICE.toNanos();
    }

    /** Whether the warm-up is over at {@code now} ({@code System.nanoTime}); once true, stays true. */
    boolean warm(long now) {
        if (endedAt != 0) {
            return true;
        }
        if (now >= maximumEnd) {
            return end(now);
        }
        if (maximumEnd == minimumEnd || blind) {
            // a fixed warm-up, or nothing to judge by
            return now >= minimumEnd && end(now);
        }
        if (from == null && now >= firstReading) {
            from = CompletableFuture.supplyAsync(cpu, readers);
        }
        if (now < nextCheck) {
            return false;
        }
        if (to == null) {
            to = CompletableFuture.supplyAsync(cpu, readers);
        }
        if (!from.isDone() || !to.isDone()) {
            return false;
        }
        ProcessCpu.Reading before = from.join();
        ProcessCpu.Reading after = to.join();
        if (!before.available() || !after.available()) {
            blind = true;
            return now >= minimumEnd && end(now);
        }
        lastShare = Math.max(0, after.compilerNanos() - before.compilerNanos()) / (double) (after.at() - before.at());
        quiet = lastShare < SETTLED_SHARE ? quiet + 1 : 0;
        if (quiet >= QUIET_SLICES && now >= minimumEnd) {
            settled = true;
            return end(now);
        }
        from = to;
        to = null;
        nextCheck = now + SLICE.toNanos();
        return false;
    }

    private boolean end(long now) {
        endedAt = now;
        return true;
    }

    /** How long it lasted and what the JIT took at its end, for the window's report. */
    String summary() {
        String jit = Double.isNaN(lastShare)
                ? "JIT not judged"
                : String.format("JIT %.1f%% of a core in its last %d s", 100 * lastShare, SLICE.toSeconds());
        return String.format(
                "warm-up %d s (%s%s)",
                Math.round((endedAt - start) / 1e9),
                jit,
                settled || Double.isNaN(lastShare) ? "" : ", not settled by the maximum");
    }
}
