package io.chorus.command.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.axonframework.common.caching.Cache;
import org.junit.jupiter.api.Test;

class BoundedAggregateCacheTest {

    private final Thread caller = Thread.currentThread();

    /** What the cache told its listener, in order. */
    private final List<String> heard = new CopyOnWriteArrayList<>();

    private final Cache.EntryListener listener = new Cache.EntryListenerAdapter() {
        @Override
        public void onEntryCreated(Object key, Object value) {
            heard.add("created " + key);
        }

        @Override
        public void onEntryUpdated(Object key, Object value) {
            heard.add("updated " + key);
        }

        @Override
        public void onEntryExpired(Object key) {
            heard.add("expired " + key + (Thread.currentThread() == caller ? "" : " on " + Thread.currentThread()));
        }

        @Override
        public void onEntryRemoved(Object key) {
            heard.add("removed " + key);
        }
    };

    @Test
    void aGroupPutBackAfterEachCommandIsAnUpdateNotAnExpiry() {
        BoundedAggregateCache cache = new BoundedAggregateCache(10);
        cache.registerCacheEntryListener(listener);

        cache.put("g1", "state 1");
        cache.put("g1", "state 2");
        cache.put("g1", "state 3");

        assertThat(heard).containsExactly("created g1", "updated g1", "updated g1");
        assertThat((String) cache.get("g1")).isEqualTo("state 3");
    }

    @Test
    void beyondItsSizeTheLeastUsedGroupsAreEvictedOnTheCommandsOwnThread() {
        BoundedAggregateCache cache = new BoundedAggregateCache(2);
        cache.registerCacheEntryListener(listener);

        for (int g = 0; g < 50; g++) {
            cache.put("g" + g, "state");
        }

        // heard at once and on this thread: no hand-off to another pool for every command
        assertThat(heard).filteredOn(h -> h.startsWith("expired")).hasSize(48).allMatch(h -> !h.contains(" on "));
        assertThat(heard).filteredOn(h -> h.startsWith("created")).hasSize(50);
        assertThat(IntStream.range(0, 50).filter(g -> cache.containsKey("g" + g)))
                .hasSize(2);
    }
}
