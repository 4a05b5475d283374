package io.chorus.query.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HistoryProgressTest {

    private final HistoryProgress progress = new HistoryProgress();

    @Test
    void aCommitOfTheWatchedGroupWakesTheWait() throws Exception {
        try (HistoryProgress.Watch watch = progress.watch("g1")) {
            CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> {
                try {
                    return watch.await(TimeUnit.SECONDS.toNanos(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            progress.committed(List.of("g2"));
            progress.committed(List.of("g1"));

            assertThat(woken.get(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aCommitBetweenTheWatchAndTheWaitIsNotMissed() throws Exception {
        try (HistoryProgress.Watch watch = progress.watch("g1")) {
            progress.committed(List.of("g1"));

            assertThat(watch.await(0)).isTrue();
            assertThat(watch.await(TimeUnit.MILLISECONDS.toNanos(20))).isFalse();
        }
    }

    @Test
    void commitsOfOtherGroupsOrBeforeTheWatchDoNotWakeIt() throws Exception {
        progress.committed(List.of("g1"));
        try (HistoryProgress.Watch watch = progress.watch("g1")) {
            progress.committed(List.of("g2"));

            assertThat(watch.await(TimeUnit.MILLISECONDS.toNanos(20))).isFalse();
        }
    }

    @Test
    void aClosedWatchLeavesNothingBehindWhileAnotherStaysWoken() throws Exception {
        HistoryProgress.Watch first = progress.watch("g1");
        try (HistoryProgress.Watch second = progress.watch("g1")) {
            first.close();
            progress.committed(List.of("g1"));

            assertThat(second.await(0)).isTrue();
        }
        assertThat(progress.watched()).isZero();
    }
}
