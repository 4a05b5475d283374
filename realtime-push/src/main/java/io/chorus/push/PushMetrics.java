package io.chorus.push;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * The push node's meters: {@code chorus.push.deliveries} (group frames written to a client's socket),
 * {@code chorus.push.latency} (from a message's time, when its send command made it, to its frame's write:
 * send→deliver, live messages only, not catch-ups nor membership events), {@code chorus.push.coalesced} (group frames
 * written in one WebSocket message behind another frame, see {@link SessionOutboxes#COALESCED_LIMIT}), {@code
 * chorus.push.cutoffs} (slow clients cut off) and {@code chorus.push.sessions} (connected STOMP sessions, registered
 * by {@link SessionOutboxes}).
 */
@Component
class PushMetrics {

    final MeterRegistry registry;
    private final Counter deliveries;
    private final Counter coalesced;
    private final Counter cutoffs;
    private final Timer latency;

    PushMetrics(ObjectProvider<MeterRegistry> meters) {
        this.registry = meters.getIfAvailable(SimpleMeterRegistry::new);
        this.deliveries = Counter.builder("chorus.push.deliveries")
                .description("group event frames written to clients' sockets")
                .register(registry);
        this.coalesced = Counter.builder("chorus.push.coalesced")
                .description("group event frames written in one WebSocket message behind another frame")
                .register(registry);
        this.cutoffs = Counter.builder("chorus.push.cutoffs")
                .description("slow clients cut off (queue, write time or memory limit)")
                .register(registry);
        this.latency = Timer.builder("chorus.push.latency")
                .description("from a message's time (its send command) to the write of its frame to a subscriber")
                .publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    /**
     * A group event's frame was written to a client, {@code coalesced} behind another frame in the same message;
     * {@code eventTimeMillis} is 0 in a catch-up (no latency).
     */
    void delivered(long eventTimeMillis, boolean coalesced) {
        deliveries.increment();
        if (coalesced) {
            this.coalesced.increment();
        }
        if (eventTimeMillis > 0) {
            // in milliseconds as they are, not as a Duration: one object fewer per delivery
            latency.record(Math.max(0, System.currentTimeMillis() - eventTimeMillis), TimeUnit.MILLISECONDS);
        }
    }

    void cutOff() {
        cutoffs.increment();
    }
}
