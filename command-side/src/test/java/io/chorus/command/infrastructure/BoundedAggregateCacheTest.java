package io.chorus.command.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.command.group.GroupAggregate;
import io.chorus.command.group.GroupsInState;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.axonframework.common.caching.Cache;
import org.axonframework.eventhandling.SimpleEventBus;
import org.axonframework.eventsourcing.AggregateCacheEntry;
import org.axonframework.eventsourcing.EventSourcedAggregate;
import org.axonframework.eventsourcing.NoSnapshotTriggerDefinition;
import org.axonframework.modelling.command.inspection.AnnotatedAggregateMetaModelFactory;
import org.junit.jupiter.api.Test;

class BoundedAggregateCacheTest {

    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

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
        BoundedAggregateCache cache = new BoundedAggregateCache(10, 1 << 30);
        cache.registerCacheEntryListener(listener);

        cache.put("g1", "state 1");
        cache.put("g1", "state 2");
        cache.put("g1", "state 3");

        assertThat(heard).containsExactly("created g1", "updated g1", "updated g1");
        assertThat((String) cache.get("g1")).isEqualTo("state 3");
    }

    @Test
    void beyondItsSizeTheLeastUsedGroupsAreEvictedOnTheCommandsOwnThread() {
        BoundedAggregateCache cache = new BoundedAggregateCache(2, 1 << 30);
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

    /** A group of 50 senders whose dedupe window is full, with ids of a usual size (a UUID per send). */
    static GroupAggregate fullGroup(String groupId) {
        return GroupsInState.full(groupId, T0);
    }

    private static AggregateCacheEntry<GroupAggregate> cached(GroupAggregate group) {
        return new AggregateCacheEntry<>(EventSourcedAggregate.initialize(
                group,
                AnnotatedAggregateMetaModelFactory.inspectAggregate(GroupAggregate.class),
                SimpleEventBus.builder().build(),
                NoSnapshotTriggerDefinition.TRIGGER));
    }

    @Test
    void largeGroupsAreEvictedByTheMemoryBudgetBeforeTheCount() {
        // a budget of 8 MiB and room for 100 groups; each full group estimates itself at about 1.8 MiB
        BoundedAggregateCache cache = new BoundedAggregateCache(100, 8L * 1024 * 1024);
        GroupAggregate one = fullGroup("g0");
        assertThat(one.estimatedBytes()).isBetween(1_500_000L, GroupsInState.WINDOW_MAX_BYTES + 100_000);

        for (int g = 0; g < 10; g++) {
            cache.put("g" + g, cached(g == 0 ? one : fullGroup("g" + g)));
        }

        assertThat(cache.weightedKilobytes()).isLessThanOrEqualTo(8 * 1024);
        assertThat(IntStream.range(0, 10)
                        .filter(g -> cache.containsKey("g" + g))
                        .count())
                .isBetween(1L, 4L);
        // while small groups stop at the count
        BoundedAggregateCache small = new BoundedAggregateCache(3, 8L * 1024 * 1024);
        for (int g = 0; g < 10; g++) {
            small.put("s" + g, cached(GroupsInState.created("s" + g, T0)));
        }
        assertThat(IntStream.range(0, 10)
                        .filter(g -> small.containsKey("s" + g))
                        .count())
                .isEqualTo(3);
    }

    /**
     * Heap taken by full groups, measured, against their own estimate: the estimate must be from above (it is what
     * bounds the cache) and not far from it. {@code -Dchorus.measure.groups=1000} measures that many.
     */
    @Test
    void fullGroupsTakeNoMoreHeapThanTheyEstimate() {
        int count = Integer.getInteger("chorus.measure.groups", 100);
        long before = usedHeap();
        List<GroupAggregate> groups = new ArrayList<>();
        long estimated = 0;
        for (int g = 0; g < count; g++) {
            GroupAggregate group = fullGroup("m" + g);
            estimated += group.estimatedBytes();
            groups.add(group);
        }
        long measured = usedHeap() - before;

        System.out.printf(
                "heap of %d groups with full dedupe windows: %.1f MiB measured, %.1f MiB estimated%n",
                groups.size(), measured / 1048576.0, estimated / 1048576.0);
        assertThat(measured).isLessThanOrEqualTo(estimated).isGreaterThan(estimated / 2);
    }

    private static long usedHeap() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
