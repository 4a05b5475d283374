package io.chorus.query.history;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.springframework.stereotype.Component;

/**
 * Tells the reads waiting for a group's read model that this process's history projection committed rows of that
 * group, so that a read-your-writes wait wakes on the commit instead of polling PostgreSQL. Only groups somebody
 * waits for cost anything: a commit looks each of its groups up in a map of the waited-for ones.
 */
@Component
class HistoryProgress {

    /** A group's commit counter; readers wait on its monitor for it to move. */
    private static final class Signal {
        long commits;
        int waiters;
    }

    private final ConcurrentMap<String, Signal> waited = new ConcurrentHashMap<>();

    /** Called once rows of these groups are committed. */
    void committed(Collection<String> groups) {
        if (waited.isEmpty()) {
            return;
        }
        for (String group : groups) {
            Signal signal = waited.get(group);
            if (signal != null) {
                synchronized (signal) {
                    signal.commits++;
                    signal.notifyAll();
                }
            }
        }
    }

    /** A reader's registration for one group: {@link #await} returns once a commit of the group came after it. */
    final class Watch implements AutoCloseable {
        private final String group;
        private final Signal signal;
        private long seen;

        private Watch(String group, Signal signal) {
            this.group = group;
            this.signal = signal;
            synchronized (signal) {
                this.seen = signal.commits;
            }
        }

        /**
         * Waits at most {@code nanos} for a commit of the group after the last one this watch saw; returns whether
         * one came. The caller reads the read model again either way: the projection may run in another process.
         */
        boolean await(long nanos) throws InterruptedException {
            long deadline = System.nanoTime() + nanos;
            synchronized (signal) {
                while (signal.commits == seen) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    signal.wait(left / 1_000_000, (int) (left % 1_000_000));
                }
                seen = signal.commits;
                return true;
            }
        }

        @Override
        public void close() {
            waited.computeIfPresent(group, (g, s) -> --s.waiters == 0 ? null : s);
        }
    }

    /** Starts watching a group: commits from now on wake {@link Watch#await}. */
    Watch watch(String group) {
        Signal signal = waited.compute(group, (g, s) -> {
            Signal held = s == null ? new Signal() : s;
            held.waiters++;
            return held;
        });
        return new Watch(group, signal);
    }

    /** How many groups are being waited for (for tests: a closed watch must not stay in the map). */
    int watched() {
        return waited.size();
    }
}
