package io.chorus.query.projection;

/** Lowers the priority of the projections' threads (see {@link #yieldToLiveTraffic(String)}). */
final class BackgroundWork {

    private BackgroundWork() {}

    /**
     * Gives the calling thread the lowest priority if it is one of processor {@code processorName}'s workers: projection
     * work can wait a little when the cores are full, the sends and pushes cannot. Axon starts a pooled processor's
     * workers in a thread group of their own, {@code WorkPackage[<processor>]}; other threads that apply a projection's
     * events now and then (an admin's request retrying dead letters) are left as they are, since they go back to
     * serving live traffic. It only takes effect where the JVM maps thread priorities to the operating system's (on
     * Linux {@code -XX:ThreadPriorityPolicy=1}).
     */
    static void yieldToLiveTraffic(String processorName) {
        Thread thread = Thread.currentThread();
        if (thread.getPriority() != Thread.MIN_PRIORITY && isWorkerOf(thread, processorName)) {
            thread.setPriority(Thread.MIN_PRIORITY);
        }
    }

    private static boolean isWorkerOf(Thread thread, String processorName) {
        ThreadGroup group = thread.getThreadGroup();
        return group != null && group.getName().equals("WorkPackage[" + processorName + "]");
    }
}
