package io.chorus.bench.push;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a Chorus node's share of the send→deliver time goes, from its own histograms (Prometheus buckets) taken before
 * and after a measured window: {@code chorus.events.append} (a command's events, until durable) and {@code
 * chorus.push.latency} (from the command's time stamp to the frame's write to a subscriber's socket). What the
 * harness measures beyond the second is the way from the client's send to the command, and from the socket write
 * to the client's read.
 */
final class ServerTimes {

    static final String APPEND = "chorus_events_append_seconds";
    static final String PUSH = "chorus_push_latency_seconds";

    private static final Pattern BUCKET = Pattern.compile("^(\\w+)_bucket\\{.*le=\"([^\"]+)\".*}\\s+(\\S+)$");

    /** Cumulative bucket counts per metric: upper bound in seconds → count. */
    private final Map<String, TreeMap<Double, Double>> buckets;

    private ServerTimes(Map<String, TreeMap<Double, Double>> buckets) {
        this.buckets = buckets;
    }

    /** The histograms in a node's {@code /actuator/prometheus} text. */
    static ServerTimes parse(String text) {
        Map<String, TreeMap<Double, Double>> buckets = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = BUCKET.matcher(line);
            if (m.matches()) {
                double le = m.group(2).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(2));
                buckets.computeIfAbsent(m.group(1), k -> new TreeMap<>())
                        .merge(le, Double.parseDouble(m.group(3)), Double::sum);
            }
        }
        return new ServerTimes(buckets);
    }

    /**
     * The upper bound (ms) of the bucket holding the {@code p} quantile of what {@code metric} recorded between
     * {@code before} and this snapshot; NaN when nothing was recorded.
     */
    double percentileSince(ServerTimes before, String metric, double p) {
        TreeMap<Double, Double> now = buckets.getOrDefault(metric, new TreeMap<>());
        TreeMap<Double, Double> then = before.buckets.getOrDefault(metric, new TreeMap<>());
        double total = now.isEmpty() ? 0 : now.lastEntry().getValue() - then.getOrDefault(now.lastKey(), 0.0);
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

    /** One line: append and command→write p50/p99 in the window (bucket bounds, so "≤"). */
    String summarySince(ServerTimes before) {
        return String.format(
                "server side (histogram bucket bounds): events durable p50 <= %.1f ms, p99 <= %.1f ms; "
                        + "command -> frame written p50 <= %.1f ms, p99 <= %.1f ms",
                percentileSince(before, APPEND, 0.5),
                percentileSince(before, APPEND, 0.99),
                percentileSince(before, PUSH, 0.5),
                percentileSince(before, PUSH, 0.99));
    }
}
