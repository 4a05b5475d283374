package io.chorus.bench.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The warm-up lasts at least its minimum, goes on until the JIT has taken less than the settled share of a core in two
 * slices in a row, and ends at the maximum whatever the JIT takes. Time is the test's: readings carry
 * the moments it sets, the pacer's {@code now} too, and they are taken on the caller's thread.
 */
class JitWarmUpTest {

    private static final long SECOND = 1_000_000_000L;

    /** The moment the next reading is taken at, and the compiler's CPU time then. */
    private final AtomicLong clock = new AtomicLong();

    private final AtomicLong compiler = new AtomicLong();

    private ProcessCpu.Reading read() {
        return new ProcessCpu.Reading(clock.get(), 10 * clock.get(), compiler.get(), true);
    }

    /** Moves time to {@code at}, the JIT having taken {@code share} of a core since the last move. */
    private void advance(long at, double share) {
        compiler.addAndGet((long) (share * (at - clock.get())));
        clock.set(at);
    }

    /** Moves time to {@code seconds}, the JIT having taken {@code share} of a core meanwhile, and asks the warm-up. */
    private boolean warmAt(JitWarmUp warmUp, long seconds, double share) {
        advance(seconds * SECOND, share);
        return warmUp.warm(seconds * SECOND);
    }

    /** A warm-up whose readings are taken on the caller's thread, so that each call sees the ones it asked for. */
    private JitWarmUp warmUp(Duration minimum, Duration maximum) {
        return new JitWarmUp(this::read, Runnable::run, 0, minimum, maximum);
    }

    @Test
    void goesOnWhileTheJitIsBusyAndEndsAfterTwoQuietSlicesInARow() {
        // given: a minimum of 60 s and a maximum of 240 s
        JitWarmUp warmUp = warmUp(Duration.ofSeconds(60), Duration.ofSeconds(240));

        // then: not before the minimum (its first reading is taken two slices before it)
        assertThat(warmAt(warmUp, 40, 0.30)).isFalse();
        // the JIT took 30% of a core in both slices before the minimum: on
        assertThat(warmAt(warmUp, 50, 0.30)).isFalse();
        assertThat(warmAt(warmUp, 60, 0.30)).isFalse();
        // 2% in the next slice, then 6%: the quiet one alone does not end it
        assertThat(warmAt(warmUp, 70, 0.02)).isFalse();
        assertThat(warmAt(warmUp, 80, 0.06)).isFalse();
        // 3%, then 1%: two in a row, warm, and stays so
        assertThat(warmAt(warmUp, 90, 0.03)).isFalse();
        assertThat(warmAt(warmUp, 100, 0.01)).isTrue();
        assertThat(warmUp.warm(101 * SECOND)).isTrue();
        assertThat(warmUp.summary()).isEqualTo("warm-up 100 s (JIT 1.0% of a core in its last 10 s)");
    }

    @Test
    void aJitSettledBeforeTheMinimumEndsItAtTheMinimumNotBefore() {
        // given
        JitWarmUp warmUp = warmUp(Duration.ofSeconds(60), Duration.ofSeconds(240));

        // when: the JIT takes 1% of a core from 40 s on
        assertThat(warmAt(warmUp, 40, 0.30)).isFalse();
        assertThat(warmAt(warmUp, 50, 0.01)).isFalse();
        assertThat(warmAt(warmUp, 59, 0.01)).isFalse();

        // then
        assertThat(warmAt(warmUp, 60, 0.01)).isTrue();
        assertThat(warmUp.summary()).isEqualTo("warm-up 60 s (JIT 1.0% of a core in its last 10 s)");
    }

    @Test
    void endsAtTheMaximumWhileTheJitIsStillBusy() {
        // given
        JitWarmUp warmUp = warmUp(Duration.ofSeconds(60), Duration.ofSeconds(90));

        // when: the JIT takes a third of a core throughout
        boolean warm = false;
        for (long at = 40; at < 90 && !warm; at += 10) {
            warm = warmAt(warmUp, at, 0.33);
        }
        advance(90 * SECOND, 0.33);

        // then
        assertThat(warm).isFalse();
        assertThat(warmUp.warm(90 * SECOND)).isTrue();
        assertThat(warmUp.summary())
                .isEqualTo("warm-up 90 s (JIT 33.0% of a core in its last 10 s, not settled by the maximum)");
    }

    @Test
    void aFixedWarmUpEndsAtItsLengthWithoutReadings() {
        // given: minimum and maximum alike, as in the sweeps' steps
        JitWarmUp warmUp = new JitWarmUp(
                () -> {
                    throw new AssertionError("no reading expected");
                },
                Runnable::run,
                0,
                Duration.ofSeconds(3),
                Duration.ofSeconds(3));

        // then
        assertThat(warmUp.warm(2 * SECOND)).isFalse();
        assertThat(warmUp.warm(3 * SECOND)).isTrue();
        assertThat(warmUp.summary()).isEqualTo("warm-up 3 s (JIT not judged)");
    }
}
