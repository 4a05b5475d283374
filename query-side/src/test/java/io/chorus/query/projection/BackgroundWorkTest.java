package io.chorus.query.projection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BackgroundWorkTest {

    private static int priorityAfterYieldingOn(ThreadGroup group, String processorName) throws InterruptedException {
        AtomicInteger priority = new AtomicInteger();
        Thread thread = new Thread(
                group,
                () -> {
                    BackgroundWork.yieldToLiveTraffic(processorName);
                    priority.set(Thread.currentThread().getPriority());
                },
                "worker");
        thread.setPriority(Thread.NORM_PRIORITY);
        thread.start();
        thread.join();
        return priority.get();
    }

    @Test
    void aWorkerOfTheProcessorGetsTheLowestPriority() throws InterruptedException {
        // given a thread in the group Axon starts the processor's workers in
        ThreadGroup workers = new ThreadGroup("WorkPackage[history-a]");

        // when it yields, then
        assertThat(priorityAfterYieldingOn(workers, "history-a")).isEqualTo(Thread.MIN_PRIORITY);
    }

    @Test
    void anyOtherThreadKeepsItsPriority() throws InterruptedException {
        // given a request thread retrying dead letters, and another processor's worker
        ThreadGroup requests = new ThreadGroup("main-requests");
        ThreadGroup otherWorkers = new ThreadGroup("WorkPackage[recent-a]");

        // when they yield as workers of history-a, then
        assertThat(priorityAfterYieldingOn(requests, "history-a")).isEqualTo(Thread.NORM_PRIORITY);
        assertThat(priorityAfterYieldingOn(otherWorkers, "history-a")).isEqualTo(Thread.NORM_PRIORITY);
    }
}
