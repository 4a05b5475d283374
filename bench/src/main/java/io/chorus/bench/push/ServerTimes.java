package io.chorus.bench.push;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a Chorus node's share of the send→deliver time goes, from its own histograms (Prometheus buckets) taken before
 * and after a measured window: {@code chorus.events.append} (a command's events, until durable) and {@code
 * chorus.push.latency} (from the command's time stamp to the frame's write to a subscriber's socket). What the
 * harness measures beyond the second is the way from the client's send to the command, and from the socket write
 * to the client's read. From two counters of the same snapshots, also the node's CPU time and heap allocation per
 * message sent in the window, and how often and how long the node's stream readers waited for committed events held
 * back behind an older open transaction ({@code chorus.events.held-back}).
 */
final class ServerTimes {

    static final String APPEND = "chorus_events_append_seconds";
    static final String PUSH = "chorus_push_latency_seconds";
    /** Chorus's chorus.events.held-back (a stream reader's waits behind an older open transaction). */
    static final String HELD_BACK = "chorus_events_held_back_seconds";
    /** Micrometer's process.cpu.time (the JVM's CPU time, all threads). */
    static final String CPU = "process_cpu_time_ns_total";
    /** Chorus's chorus.jvm.allocated (all threads' heap allocation, exact; AllocationMetrics in the app). */
    static final String ALLOCATED = "chorus_jvm_allocated_bytes_total";

    /** Chorus's chorus.push.deliveries (group event frames written to clients). */
    static final String DELIVERIES = "chorus_push_deliveries_total";
    /** Chorus's chorus.push.coalesced (those written in one WebSocket message behind another frame). */
    static final String COALESCED = "chorus_push_coalesced_total";

    private static final Set<String> COUNTERS = Set.of(CPU, ALLOCATED, DELIVERIES, COALESCED);

    private static final Pattern COUNTER = Pattern.compile("^(\\w+)(\\{[^}]*})?\\s+(\\S+)$");

    private static final Pattern BUCKET = Pattern.compile("^(\\w+)_bucket\\{.*le=\"([^\"]+)\".*}\\s+(\\S+)$");

    /** Cumulative bucket counts per metric: upper bound in seconds → count. */
    private final Map<String, TreeMap<Double, Double>> buckets;
    /** {@link #COUNTERS}, each summed over its tags. */
    private final Map<String, Double> counters;

    private ServerTimes(Map<String, TreeMap<Double, Double>> buckets, Map<String, Double> counters) {
        this.buckets = buckets;
        this.counters = counters;
    }

    /** The histograms in a node's {@code /actuator/prometheus} text. */
    static ServerTimes parse(String text) {
        Map<String, TreeMap<Double, Double>> buckets = new HashMap<>();
        Map<String, Double> counters = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = BUCKET.matcher(line);
            if (m.matches()) {
                double le = m.group(2).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(2));
                buckets.computeIfAbsent(m.group(1), k -> new TreeMap<>())
                        .merge(le, Double.parseDouble(m.group(3)), Double::sum);
                continue;
            }
            Matcher c = COUNTER.matcher(line);
            if (c.matches() && COUNTERS.contains(c.group(1))) {
                counters.merge(c.group(1), Double.parseDouble(c.group(3)), Double::sum);
            }
        }
        return new ServerTimes(buckets, counters);
    }

    /**
     * The upper bound (ms) of the bucket holding the {@code p} quantile of what {@code metric} recorded between
     * {@code before} and this snapshot; NaN when nothing was recorded.
     */
    double percentileSince(ServerTimes before, String metric, double p) {
        TreeMap<Double, Double> now = buckets.getOrDefault(metric, new TreeMap<>());
        TreeMap<Double, Double> then = before.buckets.getOrDefault(metric, new TreeMap<>());
        double total = countSince(before, metric);
        if (total <= 0) {
            return Double.NaN;
        }
        for (Map.Entry<Double, Double> bucket : now.entrySet()) {
            if (bucket.getValue() - then.getOrDefault(bucket.getKey(), 0.0) >= p * total) {
                return bucket.getKey() * 1000;
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    /** How many times {@code metric} recorded since {@code before} (its +Inf bucket's growth). */
    double countSince(ServerTimes before, String metric) {
        TreeMap<Double, Double> now = buckets.getOrDefault(metric, new TreeMap<>());
        TreeMap<Double, Double> then = before.buckets.getOrDefault(metric, new TreeMap<>());
        return now.isEmpty() ? 0 : now.lastEntry().getValue() - then.getOrDefault(now.lastKey(), 0.0);
    }

    /** How much {@code counter} grew since {@code before}; NaN if not exported. */
    double growthSince(ServerTimes before, String counter) {
        Double now = counters.get(counter);
        Double then = before.counters.get(counter);
        return now == null || then == null ? Double.NaN : now - then;
    }

    /** How much {@code counter} grew since {@code before}, divided by {@code messages}; NaN if not exported. */
    double perMessageSince(ServerTimes before, String counter, long messages) {
        return messages <= 0 ? Double.NaN : growthSince(before, counter) / messages;
    }

    /**
     * One line: append and command→write p50/p99 in the window (bucket bounds, so "≤"), the node's CPU time and
     * allocation per message sent in it (figures that depend far less on how busy this shared machine is than
     * latencies do, to compare a change against its baseline), and the stream readers' held-back waits.
     */
    String summarySince(ServerTimes before, long messages) {
        return String.format(
                "server side (histogram bucket bounds): events durable p50 <= %.1f ms, p99 <= %.1f ms; "
                        + "command -> frame written p50 <= %.1f ms, p99 <= %.1f ms; "
                        + "per message sent: JVM CPU %.3f ms, allocated %.1f KB; "
                        + "stream held back: %.0f waits per 1,000 messages, p50 <= %.1f ms, p99 <= %.1f ms; "
                        + "deliveries written behind another frame in one WebSocket message: %.1f%%",
                percentileSince(before, APPEND, 0.5),
                percentileSince(before, APPEND, 0.99),
                percentileSince(before, PUSH, 0.5),
                percentileSince(before, PUSH, 0.99),
                perMessageSince(before, CPU, messages) / 1e6,
                perMessageSince(before, ALLOCATED, messages) / 1024,
                messages <= 0 ? Double.NaN : countSince(before, HELD_BACK) * 1000 / messages,
                percentileSince(before, HELD_BACK, 0.5),
                percentileSince(before, HELD_BACK, 0.99),
                100 * growthSince(before, COALESCED) / growthSince(before, DELIVERIES));
    }
}
