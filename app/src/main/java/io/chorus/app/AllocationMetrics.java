package io.chorus.app;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.ManagementFactory;
import org.springframework.stereotype.Component;

/**
 * {@code chorus.jvm.allocated}: the bytes all of the node's threads have allocated on the heap since it started, from
 * HotSpot's thread bean. Micrometer's {@code jvm.gc.memory.allocated} counts the young generation's growth only at
 * each collection, so over a few seconds it moves in steps of a whole young generation; this one moves with every
 * allocation, so that the allocation per request or per message can be compared between two builds.
 */
@Component
class AllocationMetrics implements MeterBinder {

    @Override
    public void bindTo(MeterRegistry registry) {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported()
                && threads.isThreadAllocatedMemoryEnabled()) {
            FunctionCounter.builder("chorus.jvm.allocated", threads, AllocationMetrics::allocated)
                    .description("bytes allocated on the heap by all threads since the JVM started")
                    .baseUnit("bytes")
                    .register(registry);
        }
    }

    private static double allocated(com.sun.management.ThreadMXBean threads) {
        return threads.getTotalThreadAllocatedBytes();
    }
}
