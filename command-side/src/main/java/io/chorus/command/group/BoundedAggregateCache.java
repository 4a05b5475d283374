package io.chorus.command.group;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.axonframework.common.Registration;
import org.axonframework.common.caching.Cache;

/**
 * Axon's aggregate cache on Caffeine: the most used groups stay in memory, held strongly, up to a number of groups.
 *
 * <p>Axon's own {@code WeakReferenceCache} loses a group at any garbage collection once no command holds it, so
 * under load most commands to a moderately busy group reloaded it from its snapshot (measured: REST sends over
 * 100 groups ran at a third of the rate of sends to one group). Caffeine is the cache Spring Boot already manages.
 */
final class BoundedAggregateCache implements Cache {

    private final com.github.benmanes.caffeine.cache.Cache<Object, Object> cache;
    private final List<EntryListener> listeners = new CopyOnWriteArrayList<>();

    BoundedAggregateCache(long maximumGroups) {
        // Every command puts its group back (a replacement). A removal listener would be handed every replacement
        // on the common fork-join pool, a task and a thread wake-up per command (seen in a JFR profile of
        // bench/push-benchmark.sh); an eviction listener hears evictions only, on the thread that evicts, and the
        // cache's upkeep runs on the command's thread instead of another pool's.
        this.cache = Caffeine.newBuilder()
                .maximumSize(maximumGroups)
                .executor(Runnable::run)
                .evictionListener((Object key, Object value, RemovalCause cause) ->
                        listeners.forEach(listener -> listener.onEntryExpired(key)))
                .build();
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
