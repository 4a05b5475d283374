package io.chorus.bench.push;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The whole machine's CPU in a window, by what used it: the server JVM under test, PostgreSQL's processes, Redis, the
 * benchmark's own JVM (the harness), every other process, and idle; from {@code /proc} (what the kernel does outside
 * any process, interrupts for one, is in none of them). Chorus's server JVM is only part
 * of what a message costs it: its PostgreSQL and Redis run beside it on the same cores, and a bare broker has neither.
 * Linux only; elsewhere a reading is empty and says so.
 */
final class MachineCpu {

    private static final double MILLIS_PER_TICK = ProcessCpu.NANOS_PER_TICK / 1e6;

    static final String SERVER = "server JVM";
    static final String POSTGRES = "PostgreSQL";
    static final String REDIS = "Redis";
    static final String HARNESS = "harness";
    static final String OTHER = "other";

    private final Path proc;
    private final long serverPid;
    private final long harnessPid;

    MachineCpu(long serverPid) {
        this(Path.of("/proc"), serverPid, ProcessHandle.current().pid());
    }

    MachineCpu(Path proc, long serverPid, long harnessPid) {
        this.proc = proc;
        this.serverPid = serverPid;
        this.harnessPid = harnessPid;
    }

    /**
     * Each process's CPU ticks so far and its kind, and the machine's idle ticks ({@code /proc/stat}'s idle and iowait)
     * and all its ticks, over all cores; empty if {@code /proc} cannot be read.
     */
    record Reading(
            long at,
            Map<Long, Long> ticks,
            Map<Long, String> kinds,
            long idleTicks,
            long allTicks,
            int cores,
            boolean available) {

        /**
         * The window from {@code before}: each kind's share of one core over the window's wall time and ms per message
         * sent, and the machine's idle share of all its ticks (over all cores). A process present at both readings
         * counts its growth, one started in the window all its time; one that ended in it is lost.
         */
        String since(Reading before, long messages) {
            if (!available || !before.available) {
                return "machine CPU: not readable here (needs /proc)";
            }
            Map<String, Long> byKind = byKindSince(before);
            double windowMillis = Math.max(1, (at - before.at) / 1e6);
            long idle = Math.max(0, idleTicks - before.idleTicks);
            long all = Math.max(1, allTicks - before.allTicks);
            StringBuilder line = new StringBuilder(
                    String.format("machine CPU in the window, %% of one core (ms per message sent), %d cores:", cores));
            byKind.forEach((kind, ticks) -> line.append(String.format(
                    " %s %.0f%% (%.3f)",
                    kind,
                    100.0 * ticks * MILLIS_PER_TICK / windowMillis,
                    messages == 0 ? 0 : ticks * MILLIS_PER_TICK / messages)));
            line.append(String.format("; idle %.0f%%", 100.0 * idle / all * cores));
            return line.toString();
        }

        /** Ticks used in the window per kind, in a fixed order. */
        Map<String, Long> byKindSince(Reading before) {
            Map<String, Long> byKind = new LinkedHashMap<>();
            for (String kind : new String[] {SERVER, POSTGRES, REDIS, HARNESS, OTHER}) {
                byKind.put(kind, 0L);
            }
            ticks.forEach((pid, now) -> {
                long then = before.ticks.getOrDefault(pid, 0L);
                byKind.merge(kinds.get(pid), Math.max(0, now - then), Long::sum);
            });
            return byKind;
        }
    }

    Reading read() {
        long at = System.nanoTime();
        Map<Long, Long> ticks = new HashMap<>();
        Map<Long, String> kinds = new HashMap<>();
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                String stat;
                try {
                    stat = Files.readString(entry.resolve("stat"));
                } catch (IOException e) {
                    // a process that ended meanwhile
                    continue;
                }
                ticks.put(pid, ProcessCpu.ticks(stat));
                kinds.put(pid, kind(pid, stat));
            }
            List<String> machine = Files.readAllLines(proc.resolve("stat"));
            // cpu user nice system idle iowait irq softirq steal …
            String[] cpu = machine.get(0).trim().split("\\s+");
            long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
            long all = 0;
            for (int field = 1; field <= Math.min(8, cpu.length - 1); field++) {
                all += Long.parseLong(cpu[field]);
            }
            long cores =
                    machine.stream().filter(line -> line.matches("cpu\\d+ .*")).count();
            return new Reading(at, ticks, kinds, idle, all, (int) cores, true);
        } catch (IOException | RuntimeException e) {
            return new Reading(at, Map.of(), Map.of(), 0, 0, 0, false);
        }
    }

    private String kind(long pid, String stat) {
        if (pid == serverPid) {
            return SERVER;
        }
        if (pid == harnessPid) {
            return HARNESS;
        }
        String command = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (command.startsWith("postgres")) {
            return POSTGRES;
        }
        if (command.startsWith("redis-server")) {
            return REDIS;
        }
        return OTHER;
    }
}
