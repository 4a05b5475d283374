package io.chorus.query.recent;

import io.chorus.query.history.CachedHistoryReader;
import io.chorus.query.history.HistoryPage;
import io.chorus.query.history.JsonPage;
import io.chorus.query.history.PageQuery;
import io.chorus.query.history.PostgresHistoryReader;
import io.chorus.query.projection.ProjectionSlots;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recent pages from the Redis window of the active "recent" slot. Answers empty when the window does not hold the
 * whole page or Redis does not answer; after a failure it does not ask Redis again for a second, so a Redis outage
 * costs reads one timeout, not one per read. A cold window (Redis flushed or restarted) or one started in the middle
 * of a group is refilled from PostgreSQL in the background when a read finds it.
 */
public class RedisHistoryReader implements CachedHistoryReader {

    private static final Logger log = LoggerFactory.getLogger(RedisHistoryReader.class);

    private static final long PAUSE_AFTER_FAILURE = TimeUnit.SECONDS.toNanos(1);

    /** PostgreSQL may be a little behind the window; a refill tries this many times, 50 ms apart. */
    private static final int REFILL_ATTEMPTS = 40;

    private final RecentWindow window;
    private final ProjectionSlots slots;
    private final PostgresHistoryReader postgres;
    private final ExecutorService refills;
    private final Set<String> refilling = ConcurrentHashMap.newKeySet();
    private volatile long unavailableUntil = System.nanoTime();

    RedisHistoryReader(
            RecentWindow window, ProjectionSlots slots, PostgresHistoryReader postgres, ExecutorService refills) {
        this.window = window;
        this.slots = slots;
        this.postgres = postgres;
        this.refills = refills;
    }

    @Override
    public Optional<HistoryPage> page(String groupId, PageQuery query) {
        return jsonPage(groupId, query)
                .map(page -> new HistoryPage(
                        page.messages().stream().map(window::parse).toList(), page.hasMore(), page.lastSeq()));
    }

    @Override
    public Optional<JsonPage> jsonPage(String groupId, PageQuery query) {
        if (System.nanoTime() - unavailableUntil < 0) {
            return Optional.empty();
        }
        String slot = slots.active(RecentWindowProjection.NAME);
        Optional<RecentWindow.Read> read;
        try {
            read = window.read(slot, groupId, query);
        } catch (RuntimeException e) {
            unavailableUntil = System.nanoTime() + PAUSE_AFTER_FAILURE;
            log.warn("Redis did not answer ({}); recent pages come from PostgreSQL for a second", e.toString());
            return Optional.empty();
        }
        if (read.isEmpty()) {
            refill(slot, groupId);
            return Optional.empty();
        }
        Optional<JsonPage> page = RecentWindow.page(read.get(), query);
        if (page.isEmpty() && read.get().floor() > 1 && read.get().size() < window.size()) {
            // started in the middle of the group (after a flush): older messages are missing, not trimmed
            refill(slot, groupId);
        }
        return page;
    }

    /** Whether Redis answered the last time it was asked. */
    public boolean available() {
        return System.nanoTime() - unavailableUntil >= 0;
    }

    private void refill(String slot, String groupId) {
        if (!refilling.add(slot + "/" + groupId)) {
            return;
        }
        try {
            refills.execute(() -> {
                try {
                    refillNow(slot, groupId);
                } finally {
                    refilling.remove(slot + "/" + groupId);
                }
            });
        } catch (RuntimeException e) {
            refilling.remove(slot + "/" + groupId);
        }
    }

    /** Replaces the window with PostgreSQL's newest messages; true when done. */
    boolean refillNow(String slot, String groupId) {
        try {
            for (int attempt = 0; attempt < REFILL_ATTEMPTS; attempt++) {
                Optional<PostgresHistoryReader.Newest> newest = postgres.newest(groupId, window.size());
                if (newest.isEmpty()) {
                    return false;
                }
                if (window.refill(
                        slot, groupId, newest.get().lastSeq(), newest.get().messages())) {
                    return true;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        } catch (RuntimeException e) {
            log.debug("refilling the recent window of {} failed: {}", groupId, e.toString());
        }
        return false;
    }
}
