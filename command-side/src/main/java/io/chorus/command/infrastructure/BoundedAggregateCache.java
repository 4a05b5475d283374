package io.chorus.command.infrastructure;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.chorus.command.group.GroupAggregate;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.axonframework.common.Registration;
import org.axonframework.common.caching.Cache;
import org.axonframework.eventsourcing.AggregateCacheEntry;

/**
 * Axon's aggregate cache on Caffeine: the most used groups stay in memory, held strongly, up to a number of groups
 * and a memory budget. Each group weighs what it estimates it takes ({@link GroupAggregate#estimatedBytes}), and at
 * least the budget's share of one of the {@code maximumGroups}, so that neither bound can be passed: many small
 * groups stop at the count, fewer large ones (full dedupe windows, many members) at the memory.
 *
 * <p>Axon's own {@code WeakReferenceCache} loses a group at any garbage collection once no command holds it, so
 * under load most commands to a moderately busy group reloaded it from its snapshot (measured: REST sends over
 * 100 groups ran at a third of the rate of sends to one group). Caffeine is the cache Spring Boot already manages.
 */
final class BoundedAggregateCache implements Cache {

    private final com.github.benmanes.caffeine.cache.Cache<Object, Object> cache;
    private final List<EntryListener> listeners = new CopyOnWriteArrayList<>();

    /** Axon's cache entry keeps the aggregate in a field without a getter; the weigher reads it there. */
    private static final Field AGGREGATE_ROOT = aggregateRootField();

    private static Field aggregateRootField() {
        try {
            Field field = AggregateCacheEntry.class.getDeclaredField("aggregateRoot");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private final long minimumKilobytes;

    BoundedAggregateCache(long maximumGroups, long maximumBytes) {
        long budgetKilobytes = Math.max(1, maximumBytes / 1024);
        this.minimumKilobytes = Math.max(1, budgetKilobytes / Math.max(1, maximumGroups));
        // Every command puts its group back (a replacement). A removal listener would be handed every replacement
        // on the common fork-join pool, a task and a thread wake-up per command (seen in a JFR profile of
        // bench/push-benchmark.sh); an eviction listener hears evictions only, on the thread that evicts, and the
        // cache's upkeep runs on the command's thread instead of another pool's.
        this.cache = Caffeine.newBuilder()
                .maximumWeight(budgetKilobytes)
                .weigher((Object key, Object value) -> weight(value))
                .executor(Runnable::run)
                .evictionListener((Object key, Object value, RemovalCause cause) ->
                        listeners.forEach(listener -> listener.onEntryExpired(key)))
                .build();
    }

    /** A group's weight in kilobytes: what it estimates it takes, and at least one group's share of the budget. */
    private int weight(Object value) {
        long kilobytes = minimumKilobytes;
        Object root = value;
        if (value instanceof AggregateCacheEntry<?> entry && AGGREGATE_ROOT != null) {
            try {
                root = AGGREGATE_ROOT.get(entry);
            } catch (IllegalAccessException e) {
                root = null;
            }
        }
        if (root instanceof GroupAggregate group) {
            kilobytes = Math.max(kilobytes, group.estimatedBytes() / 1024);
        }
        return (int) Math.min(Integer.MAX_VALUE, kilobytes);
    }

    /** The weight of what the cache holds now, in kilobytes (for tests and measurements). */
    long weightedKilobytes() {
        cache.cleanUp();
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <K, V> V get(K key) {
        return (V) cache.getIfPresent(key);
    }

    @Override
    public void put(Object key, Object value) {
        boolean existed = cache.asMap().put(key, value) != null;
        listeners.forEach(listener -> {
            if (existed) {
                listener.onEntryUpdated(key, value);
            } else {
                listener.onEntryCreated(key, value);
            }
        });
    }

    @Override
    public boolean putIfAbsent(Object key, Object value) {
        boolean added = cache.asMap().putIfAbsent(key, value) == null;
        if (added) {
            listeners.forEach(listener -> listener.onEntryCreated(key, value));
        }
        return added;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T computeIfAbsent(Object key, Supplier<T> valueSupplier) {
        return (T) cache.get(key, k -> valueSupplier.get());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V> void computeIfPresent(Object key, UnaryOperator<V> update) {
        cache.asMap().computeIfPresent(key, (k, value) -> update.apply((V) value));
    }

    @Override
    public boolean remove(Object key) {
        boolean removed = cache.asMap().remove(key) != null;
        if (removed) {
            listeners.forEach(listener -> listener.onEntryRemoved(key));
        }
        return removed;
    }

    @Override
    public void removeAll() {
        cache.invalidateAll();
    }

    @Override
    public boolean containsKey(Object key) {
        return cache.asMap().containsKey(key);
    }

    @Override
    public Registration registerCacheEntryListener(EntryListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
