package io.chorus.bench.push;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The CPU time a server JVM has used, all its threads and its JIT compiler threads apart (the threads named {@code C1
 * CompilerThre…} and {@code C2 CompilerThre…}), from {@code /proc/<pid>}: the same figure for Chorus and for the bare
 * broker, which has no metrics endpoint, and how much of a measured window the JIT still took. Linux only; elsewhere
 * a reading is empty and says so.
 */
final class ProcessCpu {

    /** Linux's clock ticks per second in {@code /proc/…/stat} (USER_HZ, 100 on every usual kernel). */
    static final long NANOS_PER_TICK = 1_000_000_000L / 100;

    private final Path process;

    ProcessCpu(long pid) {
        this.process = Path.of("/proc", Long.toString(pid));
    }

    /** CPU used so far, at a moment ({@code System.nanoTime}). */
    record Reading(long at, long processNanos, long compilerNanos, boolean available) {

        /** The window from {@code before} to this reading: the JVM's CPU, per message and the JIT compiler's part. */
        String since(Reading before, long messages) {
            if (!available || !before.available) {
                return "server JVM CPU: not readable here (needs /proc)";
            }
            double window = at - before.at;
            long process = processNanos - before.processNanos;
            // a compiler thread that ended in the window takes its time with it (the JVM starts and stops them)
            long compiler = Math.max(0, compilerNanos - before.compilerNanos);
            return String.format(
                    "server JVM CPU in the window: %.0f%% of a core (%.3f ms per message sent), of which its JIT"
                            + " compiler threads %.1f%% of a core",
                    100 * process / window, messages == 0 ? 0 : process / 1e6 / messages, 100 * compiler / window);
        }
    }

    Reading read() {
        long at = System.nanoTime();
        if (!Files.isDirectory(process)) {
            return new Reading(at, 0, 0, false);
        }
        try {
            long process = ticks(Files.readString(this.process.resolve("stat")));
            long compiler = 0;
            try (Stream<Path> threads = Files.list(this.process.resolve("task"))) {
                for (Path thread : threads.toList()) {
                    compiler += compilerTicks(thread);
                }
            }
            return new Reading(at, process * NANOS_PER_TICK, compiler * NANOS_PER_TICK, true);
        } catch (IOException | RuntimeException e) {
            return new Reading(at, 0, 0, false);
        }
    }

    private static long compilerTicks(Path thread) {
        try {
            String name = Files.readString(thread.resolve("comm")).trim();
            if (!name.startsWith("C1 CompilerThre") && !name.startsWith("C2 CompilerThre")) {
                return 0;
            }
            return ticks(Files.readString(thread.resolve("stat")));
        } catch (IOException | RuntimeException e) {
            // a thread that ended meanwhile
            return 0;
        }
    }

    /** User plus system time, in clock ticks, of a {@code /proc/…/stat} line. */
    static long ticks(String stat) {
        // the fields after the name, which is in parentheses and may hold spaces and parentheses: state is field 3,
        // utime 14, stime 15
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
