package io.chorus.bench.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class ProcessCpuTest {

    @Test
    void readsUserPlusSystemTimeAfterANameWithSpacesAndParentheses() {
        // given: a thread's stat line as Linux writes it (pid, (comm), state, then utime as field 14, stime 15)
        String stat = "4242 (C2 Compiler) (x)) S 1 4242 4242 0 -1 4194368 100 0 0 0 731 58 0 0 20 0 42 0 9 0 0 0";

        // when
        long ticks = ProcessCpu.ticks(stat);

        // then
        assertThat(ticks).isEqualTo(731 + 58);
    }

    @Test
    void thisJvmHasUsedCpuAndItsJitSomeOfIt() {
        // given: this JVM, whose JIT compiled at least the test framework on its way here
        ProcessCpu cpu = new ProcessCpu(ProcessHandle.current().pid());
        ProcessCpu.Reading before = cpu.read();
        assumeTrue(before.available(), "needs /proc (Linux)");

        // when: a second of work
        long spinUntil = System.nanoTime() + 1_000_000_000L;
        long sum = 0;
        while (System.nanoTime() < spinUntil) {
            sum += Long.numberOfTrailingZeros(sum + System.nanoTime());
        }
        ProcessCpu.Reading after = cpu.read();

        // then: counted in ticks of 10 ms; the spinning thread used some (the machine may be busy with more)
        assertThat(after.compilerNanos()).isPositive().isLessThanOrEqualTo(after.processNanos());
        assertThat(after.processNanos() % 10_000_000L).isZero();
        assertThat(after.processNanos() - before.processNanos()).isGreaterThanOrEqualTo(10_000_000L);
        assertThat(after.since(before, 10)).startsWith("server JVM CPU in the window: ");
        assertThat(sum).isNotNegative();
    }

    @Test
    void aProcessThatIsNotThereIsNotReadable() {
        // given: a pid above Linux's largest (4,194,304)
        ProcessCpu cpu = new ProcessCpu(5_000_000L);

        // when
        ProcessCpu.Reading reading = cpu.read();

        // then
        assertThat(reading.available()).isFalse();
        assertThat(reading.since(reading, 1)).isEqualTo("server JVM CPU: not readable here (needs /proc)");
    }
}
