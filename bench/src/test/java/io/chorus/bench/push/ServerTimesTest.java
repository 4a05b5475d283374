package io.chorus.bench.push;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServerTimesTest {

    private static String scrape(double cpuNanos, double allocatedOnA, double allocatedOnB, double fastWrites) {
        return String.join(
                "\n",
                "# HELP process_cpu_time_ns_total The \"cpu time\" used by the Java Virtual Machine process",
                "# TYPE process_cpu_time_ns_total counter",
                "process_cpu_time_ns_total{application=\"chorus\"} " + cpuNanos,
                "chorus_jvm_allocated_bytes_total{application=\"chorus\",node=\"a\"} " + allocatedOnA,
                "chorus_jvm_allocated_bytes_total{application=\"chorus\",node=\"b\"} " + allocatedOnB,
                "chorus_jvm_allocated_bytes_other_total{application=\"chorus\"} 123456789.0",
                "chorus_push_deliveries_total{application=\"chorus\"} " + 10 * fastWrites,
                "chorus_push_coalesced_total{application=\"chorus\"} " + fastWrites,
                "chorus_push_latency_seconds_bucket{application=\"chorus\",le=\"0.005\"} " + fastWrites,
                "chorus_push_latency_seconds_bucket{application=\"chorus\",le=\"+Inf\"} " + (fastWrites + 1),
                "chorus_events_held_back_seconds_bucket{application=\"chorus\",le=\"0.002\"} " + fastWrites,
                "chorus_events_held_back_seconds_bucket{application=\"chorus\",le=\"0.05\"} " + 2 * fastWrites,
                "chorus_events_held_back_seconds_bucket{application=\"chorus\",le=\"+Inf\"} " + 2 * fastWrites);
    }

    @Test
    void cpuAndAllocationPerMessageAreTheCountersGrowthOverTheMessagesSent() {
        ServerTimes before = ServerTimes.parse(scrape(1.0e9, 1.0e6, 0, 0));
        ServerTimes after = ServerTimes.parse(scrape(3.0e9, 101.0e6, 2.0e6, 99));

        assertThat(after.perMessageSince(before, ServerTimes.CPU, 1000)).isEqualTo(2.0e6);
        // tags summed; another counter with the same prefix is not counted
        assertThat(after.perMessageSince(before, ServerTimes.ALLOCATED, 1000)).isEqualTo(102_000);
        assertThat(after.percentileSince(before, ServerTimes.PUSH, 0.5)).isEqualTo(5.0);
        assertThat(after.summarySince(before, 1000)).contains("per message sent: JVM CPU 2.000 ms, allocated 99.6 KB");
        // 198 waits, half of them within 2 ms and all within 50 ms
        assertThat(after.countSince(before, ServerTimes.HELD_BACK)).isEqualTo(198);
        assertThat(after.summarySince(before, 1000))
                .contains("stream held back: 198 waits per 1,000 messages, p50 <= 2.0 ms, p99 <= 50.0 ms");
        // 990 deliveries in the window, 99 of them behind another frame
        assertThat(after.summarySince(before, 1000))
                .endsWith("deliveries written behind another frame in one WebSocket message: 10.0%");
    }

    @Test
    void aCounterTheNodeDoesNotExportIsNotANumber() {
        ServerTimes before = ServerTimes.parse("chorus_push_latency_seconds_bucket{le=\"+Inf\"} 1");
        ServerTimes after = ServerTimes.parse("chorus_push_latency_seconds_bucket{le=\"+Inf\"} 2");

        assertThat(after.perMessageSince(before, ServerTimes.CPU, 10)).isNaN();
    }
}
