package io.chorus.query.projection;

/** Lowers the priority of the projections' threads (see {@link #yieldToLiveTraffic()}). */
final class BackgroundWork {

    private BackgroundWork() {}

    /**
     * Gives the calling thread the lowest priority: projection work can wait a little when the cores are full, the
     * sends and pushes cannot. It only takes effect where the JVM maps thread priorities to the operating system's
     * (on Linux {@code -XX:ThreadPriorityPolicy=1}).
     */
    static void yieldToLiveTraffic() {
        Thread thread = Thread.currentThread();
        if (thread.getPriority() != Thread.MIN_PRIORITY) {
            thread.setPriority(Thread.MIN_PRIORITY);
        }
    }
}
