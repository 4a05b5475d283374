package io.chorus.bench.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineCpuTest {

    @TempDir
    Path proc;

    /** A process's stat line: utime and stime are fields 14 and 15. */
    private void process(long pid, String command, long utime, long stime) throws IOException {
        Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(
                proc.resolve(pid + "/stat"),
                pid + " (" + command + ") S 1 1 1 0 -1 0 0 0 0 0 " + utime + " " + stime + " 0 0 20 0 1 0 9 0 0");
    }

    /** The machine's line (user, system, idle, iowait, softirq, and a guest field that is in user already). */
    private void machine(long user, long system, long idle, long iowait, long softirq) throws IOException {
        Files.writeString(
                proc.resolve("stat"),
                "cpu  " + user + " 0 " + system + " " + idle + " " + iowait + " 0 " + softirq + " 0 77 0\n"
                        + "cpu0 250 0 150 1 1 0 0 0 0 0\ncpu1 250 0 150 1 1 0 0 0 0 0\nintr 1 2 3\n");
    }

    @Test
    void eachKindOfProcessGetsWhatItsProcessesUsedInTheWindow() throws IOException {
        // given: the server JVM (pid 10), two PostgreSQL processes, Redis, the harness (pid 20) and a shell
        process(10, "java", 1000, 100);
        process(11, "postgres", 50, 50);
        process(12, "postgres", 10, 0);
        process(13, "redis-server-6.", 5, 5);
        process(20, "java", 300, 0);
        process(30, "bash", 1, 0);
        machine(5000, 3000, 900, 100, 40);
        MachineCpu cpu = new MachineCpu(proc, 10, 20);
        MachineCpu.Reading before = cpu.read();

        // when: in the window the server uses 100 ticks, PostgreSQL 30 + 20 + a new backend's 10, Redis 10, the
        // harness 20, the shell ends; the machine counts 200 ticks over its cores: 180 busy (150 user, 30 system),
        // 10 idle, 10 in softirq outside any process
        process(10, "java", 1090, 110);
        process(11, "postgres", 70, 60);
        process(12, "postgres", 30, 0);
        process(14, "postgres", 10, 0);
        process(13, "redis-server-6.", 10, 10);
        process(20, "java", 320, 0);
        Files.delete(proc.resolve("30/stat"));
        Files.delete(proc.resolve("30"));
        machine(5150, 3030, 905, 105, 50);
        MachineCpu.Reading after = cpu.read();

        // then
        assertThat(after.byKindSince(before))
                .containsExactly(
                        entry(MachineCpu.SERVER, 100L),
                        entry(MachineCpu.POSTGRES, 60L),
                        entry(MachineCpu.REDIS, 10L),
                        entry(MachineCpu.HARNESS, 20L),
                        entry(MachineCpu.OTHER, 0L));
        // over a window of 1 s the server's 100 ticks of 10 ms are one core; over 50 messages, 20 ms each; of the
        // machine's 200 ticks over its 2 cores, 10 idle
        MachineCpu.Reading oneSecondLater = new MachineCpu.Reading(
                before.at() + 1_000_000_000L,
                after.ticks(),
                after.kinds(),
                after.idleTicks(),
                after.allTicks(),
                after.cores(),
                true);
        assertThat(oneSecondLater.since(before, 50))
                .isEqualTo("machine CPU in the window, % of one core (ms per message sent), 2 cores: server JVM 100%"
                        + " (20.000) PostgreSQL 60% (12.000) Redis 10% (2.000) harness 20% (4.000) other 0% (0.000);"
                        + " idle 10%");
    }

    @Test
    void thisMachineIsReadable() {
        MachineCpu cpu = new MachineCpu(ProcessHandle.current().pid());
        MachineCpu.Reading reading = cpu.read();
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc (Linux)");

        assertThat(reading.available()).isTrue();
        assertThat(reading.cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(reading.kinds()).containsEntry(ProcessHandle.current().pid(), MachineCpu.SERVER);
    }

    @Test
    void aMachineWithoutProcIsNotReadable() {
        MachineCpu.Reading reading = new MachineCpu(proc.resolve("absent"), 1, 2).read();

        assertThat(reading.available()).isFalse();
        assertThat(reading.since(reading, 1)).isEqualTo("machine CPU: not readable here (needs /proc)");
    }

    private static Map.Entry<String, Long> entry(String kind, long ticks) {
        return Map.entry(kind, ticks);
    }
}
