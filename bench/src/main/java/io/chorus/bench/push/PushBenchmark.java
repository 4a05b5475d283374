package io.chorus.bench.push;

import io.chorus.bench.BenchContext;
import io.chorus.bench.ReportLine;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Send→deliver latency and fan-out of Chorus's STOMP push against a bare Spring STOMP simple broker (no
 * authentication, no persistence: {@link BareBrokerApp}), with the same client harness, each server in its own JVM
 * (-Xmx512m, and on Linux -XX:ThreadPriorityPolicy=1 as README's run command: {@link #SERVER_JVM_OPTIONS}) on this
 * machine, one after the other:
 *
 * <ul>
 *   <li>latency p50/p99/p99.9 at {@code connections} subscribers over {@code groups} groups and {@code rate}
 *       messages/s, sent over STOMP by one sender connection per group;
 *   <li>fan-out: the send rate is raised step by step; the highest deliveries/s at which p99 ≤ 100 ms and at least
 *       99% of the deliveries arrive;
 *   <li>the heap of a fresh Chorus node after a full GC with {@code heapConnections} connections subscribed.
 * </ul>
 *
 * <pre>bench/push-benchmark.sh [connections=1000] [groups=100] [rate=2000] [seconds=30] [heapConnections=5000]</pre>
 */
public final class PushBenchmark {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /**
     * The least warm-up of a long window: after 10 s Chorus's p99 at 1,500 messages/s was still 0.5 s, after 70 s
     * 30 ms. PUSH_BENCH_WARM_UP=&lt;seconds&gt; sets another.
     */
    private static final Duration WARM_UP =
            Duration.ofSeconds(Long.parseLong(System.getenv().getOrDefault("PUSH_BENCH_WARM_UP", "60")));
    /**
     * The most: a long window's warm-up goes on past {@link #WARM_UP} while the server's JIT is still compiling
     * ({@link JitWarmUp}), up to this. PUSH_BENCH_WARM_UP_MAX=&lt;seconds&gt; sets another (the least, for a fixed one).
     */
    private static final Duration WARM_UP_MAX =
            Duration.ofSeconds(Long.parseLong(System.getenv().getOrDefault("PUSH_BENCH_WARM_UP_MAX", "240")));

    private static final Duration STEP = Duration.ofSeconds(10);
    /** Finer steps where the servers' limits have been on this machine, so that a ratio is not a step's rounding. */
    private static final int[] STEP_RATES = {500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000};

    /**
     * The fan-out run: every subscriber connection also follows one of this many large groups, and a message to one
     * of them goes to connections / FAN_OUT_GROUPS subscribers (100 at 1,000 connections).
     */
    private static final int FAN_OUT_GROUPS = 10;

    /**
     * The fan-out run's steps, in deliveries/s; the send rate is this over the subscribers per large group. Steps of
     * 5,000 where both servers' limits have been on this machine (40,000–90,000), so that the ratio between them is
     * not a step's rounding: with steps of 10,000, and 20,000 above 80,000, a reading of 60,000 / 80,000 stood for
     * anything from 0.60 to 0.87.
     */
    private static final int[] FAN_OUT_STEPS = {
        10_000, 20_000, 30_000, 40_000, 45_000, 50_000, 55_000, 60_000, 65_000, 70_000, 75_000, 80_000, 85_000, 90_000,
        100_000, 120_000, 160_000
    };

    private static final long P99_LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * Both servers' JVM options: the heap limit of the goal, and the option README's run command gives Chorus on Linux,
     * which lets its projections' threads run at a lower priority than those of sends and pushes (the bare broker has
     * no such threads; the same options for both).
     */
    static final List<String> SERVER_JVM_OPTIONS = List.of("-Xmx512m", "-XX:ThreadPriorityPolicy=1");

    /** PUSH_BENCH_LATENCY_ONLY=true: only Chorus's latency run (to try a change; the report needs the whole run). */
    private static final boolean LATENCY_ONLY = Boolean.parseBoolean(System.getenv("PUSH_BENCH_LATENCY_ONLY"));

    /**
     * PUSH_BENCH_FAN_OUT_ONLY=&lt;messages/s&gt;: only the fan-out at that rate to the large groups, Chorus's and then
     * the bare broker's, with the latency run's warm-up and length (to profile both push paths at one load; the report
     * needs the whole run).
     */
    private static final int FAN_OUT_ONLY =
            Integer.parseInt(System.getenv().getOrDefault("PUSH_BENCH_FAN_OUT_ONLY", "0"));

    /**
     * PUSH_BENCH_TRACE=true: after each measured window, its slowest 100 ms slices by send time, with the wall clock
     * (to set beside a server's GC log written with {@code -Xlog:gc:file=…:time}).
     */
    private static final boolean TRACE = Boolean.parseBoolean(System.getenv("PUSH_BENCH_TRACE"));

    /**
     * The harness's reader threads ({@link LeanConnections}): PUSH_BENCH_READERS, one per core by default (before
     * 2026-12-06 always one).
     */
    private static final int READERS = Integer.parseInt(System.getenv()
            .getOrDefault(
                    "PUSH_BENCH_READERS", String.valueOf(Runtime.getRuntime().availableProcessors())));

    private final int connections;
    private final int groups;
    private final int rate;
    private final Duration measured;
    private final int heapConnections;

    /** When each message id was sent (System.nanoTime), for the latency of every delivery. */
    private final long[] sentAt = new long[20_000_000];

    private final AtomicLong nextId = new AtomicLong();
    private volatile Window window;

    private PushBenchmark(String[] args) {
        connections = argument(args, 0, "connections", 1000);
        groups = argument(args, 1, "groups", 100);
        rate = argument(args, 2, "rate", 2000);
        measured = Duration.ofSeconds(argument(args, 3, "seconds", 30));
        heapConnections = argument(args, 4, "heapConnections", 5000);
        if (groups > connections) {
            throw new IllegalArgumentException("groups (" + groups + ") must not exceed connections (" + connections
                    + "): a group needs a subscriber");
        }
    }

    private static int argument(String[] args, int index, String name, int absent) {
        if (args.length <= index) {
            return absent;
        }
        try {
            int value = Integer.parseInt(args[index].trim());
            if (value >= 1) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException(name + " must be a whole number, 1 or more; got '" + args[index] + "'");
    }

    public static void main(String[] args) throws Exception {
        PushBenchmark benchmark;
        try {
            benchmark = new PushBenchmark(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("usage: bench/push-benchmark.sh [connections=1000] [groups=100] [rate=2000] [seconds=30]"
                    + " [heapConnections=5000]");
            System.exit(2);
            return;
        }
        benchmark.run();
        System.exit(0);
    }

    /** Deliveries of the messages sent within one measured window. */
    private static final class Window {
        final long firstId;
        volatile long endId = Long.MAX_VALUE;
        final long[] latencies;
        /** The message of each latency, when tracing ({@link #TRACE}). */
        final long[] ids;

        final AtomicInteger count = new AtomicInteger();

        /**
         * A sample of the deliveries split at the server's stamp (Chorus only): from the harness's send to it, and
         * from it to the harness's read, in ms.
         */
        final long[] toStamp;

        final long[] fromStamp;
        final AtomicInteger stamped = new AtomicInteger();

        Window(long firstId, int capacity) {
            this.firstId = firstId;
            this.latencies = new long[capacity];
            this.ids = TRACE ? new long[capacity] : null;
            this.toStamp = new long[capacity / 8];
            this.fromStamp = new long[capacity / 8];
        }

        void recordStamped(long id, long toStampMillis, long fromStampMillis) {
            if (id >= firstId && id < endId) {
                int at = stamped.getAndIncrement();
                if (at < toStamp.length) {
                    toStamp[at] = toStampMillis;
                    fromStamp[at] = fromStampMillis;
                }
            }
        }

        /**
         * The sampled split as one line, or null when nothing was sampled (a bare broker's frames carry no stamp).
         */
        String split() {
            int n = Math.min(stamped.get(), toStamp.length);
            if (n == 0) {
                return null;
            }
            long[] to = Arrays.copyOf(toStamp, n);
            long[] from = Arrays.copyOf(fromStamp, n);
            Arrays.sort(to);
            Arrays.sort(from);
            return String.format(
                    "harness's split at the server's stamp (sentAt, when it took the SEND), %,d deliveries of every"
                            + " 16th message, ms: send -> stamp p50 %d, p99 %d, p99.9 %d; stamp -> read p50 %d, p99"
                            + " %d, p99.9 %d",
                    n,
                    Figures.percentile(to, 0.5),
                    Figures.percentile(to, 0.99),
                    Figures.percentile(to, 0.999),
                    Figures.percentile(from, 0.5),
                    Figures.percentile(from, 0.99),
                    Figures.percentile(from, 0.999));
        }

        void record(long id, long latency) {
            if (id >= firstId && id < endId) {
                int at = count.getAndIncrement();
                if (at < latencies.length) {
                    latencies[at] = latency;
                    if (ids != null) {
                        ids[at] = id;
                    }
                }
            }
        }

        long[] sorted() {
            long[] copy = Arrays.copyOf(latencies, Math.min(count.get(), latencies.length));
            Arrays.sort(copy);
            return copy;
        }
    }

    record Figures(double deliveriesPerSecond, double delivered, long p50, long p99, long p999) {
        static long percentile(long[] sorted, double p) {
            if (sorted.length == 0) {
                return Long.MAX_VALUE;
            }
            return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
        }

        String row(String name) {
            return String.format(
                    "| %s | %,.0f | %.1f%% | %s | %s | %s |",
                    name, deliveriesPerSecond, 100 * delivered, millis(p50), millis(p99), millis(p999));
        }

        /** Nothing delivered has no percentile: "none" rather than Long.MAX_VALUE as milliseconds. */
        private static String millis(long nanos) {
            return nanos == Long.MAX_VALUE ? "none" : String.format("%.2f", nanos / 1e6);
        }
    }

    /**
     * {@code serverSide}: Chorus's own times in the latency run ({@link ServerTimes}), null for the bare broker;
     * {@code bestRate}: the highest step of the send rate at the latency run's groups; {@code bestFanOut}: the highest
     * step with large groups.
     */
    record Result(Figures latency, String serverSide, Figures bestRate, Figures bestFanOut, List<String> steps) {}

    /** Who a phase sends to: one sender per group, and the subscribers each group has. */
    record Audience(String prefix, List<Integer> senders, int subscribersPerGroup) {}

    private void run() throws Exception {
        String classpath = System.getProperty("java.class.path");
        System.out.println("machine: " + BenchContext.machine() + "; servers run with "
                + String.join(" ", SERVER_JVM_OPTIONS) + " on the same cores;"
                + " the harness reads its connections with " + READERS + " thread(s)");
        System.out.printf(
                "load: %d subscribed connections, %d groups (%d subscribers each), %d messages/s, %d s measured;"
                        + " fan-out run: then each connection also follows one of %d large groups (%d subscribers each)%n",
                connections,
                groups,
                connections / groups,
                rate,
                measured.toSeconds(),
                FAN_OUT_GROUPS,
                connections / FAN_OUT_GROUPS);

        Result chorus;
        long heapBytes = 0;
        try (Server server = Server.start(
                "chorus", classpath, "io.chorus.app.ChorusApplication", chorusArgs(), "/actuator/health")) {
            Harness harness = new Harness(server, true);
            harness.prepare(connections);
            chorus = measure(harness);
            harness.close();
        }
        if (LATENCY_ONLY) {
            // measure printed the latency run's figures and Chorus's own share
            return;
        }
        if (FAN_OUT_ONLY == 0) {
            // on a fresh node, so that what the load left behind (caches, dedupe windows) does not count
            try (Server server = Server.start(
                    "chorus-heap", classpath, "io.chorus.app.ChorusApplication", chorusArgs(), "/actuator/health")) {
                Harness harness = new Harness(server, true);
                harness.prepare(heapConnections);
                heapBytes = server.heapAfterGc();
                harness.close();
            }
        }
        Result bare;
        try (Server server = Server.start("bare-broker", classpath, BareBrokerApp.class.getName(), List.of(), null)) {
            Harness harness = new Harness(server, false);
            harness.prepare(connections);
            bare = measure(harness);
            harness.close();
        }
        if (FAN_OUT_ONLY > 0) {
            // measure printed both servers' fan-out at the one rate
            return;
        }

        System.out.println();
        System.out.println("| run | deliveries/s | delivered | p50 ms | p99 ms | p99.9 ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        System.out.println(bare.latency().row("ceiling: bare simple broker, " + rate + " msg/s"));
        System.out.println(chorus.latency().row("Chorus, " + rate + " msg/s"));
        System.out.println("  Chorus " + chorus.serverSide());
        int perGroup = connections / groups;
        int perLargeGroup = connections / FAN_OUT_GROUPS;
        System.out.println(bare.bestRate()
                .row("ceiling: bare broker, highest rate with p99 <= 100 ms, " + perGroup + " subscribers per group"));
        System.out.println(chorus.bestRate()
                .row("Chorus, highest rate with p99 <= 100 ms, " + perGroup + " subscribers per group"));
        System.out.printf(
                "ratio Chorus / ceiling at %d subscribers per group: %.2f%n",
                perGroup,
                chorus.bestRate().deliveriesPerSecond() / bare.bestRate().deliveriesPerSecond());
        System.out.println(bare.bestFanOut()
                .row("ceiling: bare broker, highest fan-out with p99 <= 100 ms, " + perLargeGroup
                        + " subscribers per group"));
        System.out.println(chorus.bestFanOut()
                .row("Chorus, highest fan-out with p99 <= 100 ms, " + perLargeGroup + " subscribers per group"));
        System.out.printf(
                "fan-out ratio Chorus / ceiling: %.2f%n",
                chorus.bestFanOut().deliveriesPerSecond() / bare.bestFanOut().deliveriesPerSecond());
        System.out.printf(
                "Chorus heap after a full GC with %d connections subscribed: %.0f MiB (max 512 MiB)%n",
                heapConnections, heapBytes / 1048576.0);
        double p50 = chorus.latency().p50() / 1e6;
        double p99 = chorus.latency().p99() / 1e6;
        ReportLine.print(
                "push",
                "send->deliver p50, " + connections + " connections, " + rate + " msg/s",
                p50,
                "ms",
                bare.latency().p50() / 1e6,
                false,
                "<= 5 ms",
                p50 <= 5);
        ReportLine.print(
                "push",
                "send->deliver p99, " + connections + " connections, " + rate + " msg/s",
                p99,
                "ms",
                bare.latency().p99() / 1e6,
                false,
                "<= 50 ms",
                p99 <= 50);
        ReportLine.print(
                "push",
                "highest deliveries/s with p99 <= 100 ms, " + perGroup + " subscribers per group",
                chorus.bestRate().deliveriesPerSecond(),
                "deliveries/s",
                bare.bestRate().deliveriesPerSecond(),
                true,
                "",
                true);
        double fanOut = chorus.bestFanOut().deliveriesPerSecond();
        double fanOutCeiling = bare.bestFanOut().deliveriesPerSecond();
        ReportLine.print(
                "push",
                "highest fan-out with p99 <= 100 ms, " + perLargeGroup + " subscribers per group",
                fanOut,
                "deliveries/s",
                fanOutCeiling,
                true,
                ">= 20,000/s and >= 0.8 of the bare broker",
                fanOut >= 20_000 && fanOut / fanOutCeiling >= 0.8);
        ReportLine.print(
                "push",
                "heap after a full GC, " + heapConnections + " connections",
                heapBytes / 1048576.0,
                "MiB",
                Double.NaN,
                false,
                "<= 512 MiB at 5,000 connections",
                heapBytes / 1048576.0 <= 512);
        System.out.println("steps, bare broker:");
        bare.steps().forEach(System.out::println);
        System.out.println("steps, Chorus:");
        chorus.steps().forEach(System.out::println);
    }

    private List<String> chorusArgs() {
        List<String> args = new ArrayList<>(BenchContext.appArgs());
        args.add("--management.endpoints.web.exposure.include=health,metrics,prometheus");
        // the push benchmark keeps 5,000 sockets open: the cut-off limits stay at their defaults
        return args;
    }

    private Result measure(Harness harness) throws Exception {
        if (FAN_OUT_ONLY > 0) {
            harness.followLargeGroups();
            Figures fanOut = harness.phase(FAN_OUT_ONLY, WARM_UP, WARM_UP_MAX, measured, harness.largeGroups());
            printWindow(
                    harness,
                    fanOut,
                    " fan-out at " + FAN_OUT_ONLY + " msg/s to " + FAN_OUT_GROUPS + " groups of "
                            + harness.largeGroups().subscribersPerGroup());
            return new Result(fanOut, harness.lastServerSide, null, null, List.of());
        }
        Figures latency = harness.phase(rate, WARM_UP, WARM_UP_MAX, measured, harness.groups());
        printWindow(harness, latency, " latency run");
        String latencyServerSide = harness.lastServerSide;
        if (LATENCY_ONLY) {
            return new Result(latency, latencyServerSide, null, null, List.of());
        }
        List<String> steps = new ArrayList<>();
        Figures bestRate = highestStep(harness, harness.groups(), STEP_RATES, steps);
        harness.followLargeGroups();
        int perLargeGroup = harness.largeGroups().subscribersPerGroup();
        int[] fanOutRates = Arrays.stream(FAN_OUT_STEPS)
                .map(deliveries -> Math.max(1, deliveries / perLargeGroup))
                .toArray();
        Figures bestFanOut = highestStep(harness, harness.largeGroups(), fanOutRates, steps);
        return new Result(latency, latencyServerSide, bestRate, bestFanOut, steps);
    }

    /** A long window's row, the server JVM's CPU in it and, for Chorus, its own share. */
    private static void printWindow(Harness harness, Figures figures, String what) {
        System.out.println(figures.row(harness.name + what));
        System.out.println("  " + harness.lastWarmUp);
        System.out.println("  " + harness.lastServerCpu);
        System.out.println("  " + harness.lastMachineCpu);
        if (harness.chorus) {
            System.out.println("  " + harness.lastServerSide);
            printSplit(harness);
        }
    }

    private static void printSplit(Harness harness) {
        if (harness.lastSplit != null) {
            System.out.println("  " + harness.lastSplit);
        }
    }

    /** Raises the send rate step by step; the last step with p99 <= 100 ms and 99% delivered, or zeros. */
    private static Figures highestStep(Harness harness, Audience audience, int[] rates, List<String> steps)
            throws Exception {
        Figures best = null;
        for (int stepRate : rates) {
            Figures step = harness.phase(stepRate, Duration.ofSeconds(3), Duration.ofSeconds(3), STEP, audience);
            String row = step.row(harness.name + " at " + stepRate + " msg/s to "
                    + audience.senders().size() + " groups of " + audience.subscribersPerGroup());
            steps.add(row);
            System.out.println(row);
            System.out.println("  " + harness.lastMachineCpu);
            if (harness.chorus) {
                System.out.println("  " + harness.lastServerSide);
                printSplit(harness);
            }
            if (step.p99() > P99_LIMIT_NANOS || step.delivered() < 0.99) {
                break;
            }
            best = step;
        }
        return best == null ? new Figures(0, 0, 0, 0, 0) : best;
    }

    /** The client side: subscriber connections, one sender connection per group, a pacer. */
    private final class Harness {
        final String base;
        final boolean chorus;
        final String name;
        /** Every connection of the harness: subscribers and senders. */
        final LeanConnections connections;
        /** The subscribers' connections. */
        final List<Integer> subscriberConnections = new ArrayList<>();
        /** One per group of the latency run. */
        final List<Integer> senders = new ArrayList<>();
        /** One per large group of the fan-out run. */
        final List<Integer> largeGroupSenders = new ArrayList<>();

        final LongAdder deliveries = new LongAdder();
        /** Chorus's own times in the last measured window ({@link ServerTimes}). */
        String lastServerSide;

        /**
         * The server JVM's CPU in the last measured window, and its JIT compiler threads' part of it (the JIT of a
         * server with Chorus's code was still busy a minute after the subscribers connected).
         */
        String lastServerCpu;

        String lastWarmUp;

        /** The whole machine's CPU in the last measured window, by kind of process ({@link MachineCpu}). */
        String lastMachineCpu;

        /**
         * Chorus's deliveries in the last measured window, split at the server's stamp ({@link Window#split}); null if
         * none was sampled.
         */
        String lastSplit;

        /** Wall-clock nanos minus System.nanoTime, to put a send's time beside a server's wall-clock stamp. */
        private final long wallMinusNano = System.currentTimeMillis() * 1_000_000L - System.nanoTime();

        private String adminToken;
        private final ProcessCpu cpu;
        private final MachineCpu machine;

        Harness(Server server, boolean chorus) {
            this.base = server.base;
            this.cpu = new ProcessCpu(server.process.pid());
            this.machine = new MachineCpu(server.process.pid());
            this.chorus = chorus;
            this.name = chorus ? "Chorus" : "bare broker";
            connections = new LeanConnections(websocketUri(), this::delivered, chorus ? this::stamped : null, READERS);
        }

        void prepare(int count) throws Exception {
            long start = System.nanoTime();
            for (int g = 0; g < groups; g++) {
                senders.add(createGroup("g" + g));
            }
            prepareMore(count);
            System.out.printf(
                    "%s: %d groups, %d subscribers connected in %.1f s%n",
                    name, groups, subscriberConnections.size(), (System.nanoTime() - start) / 1e9);
        }

        /** Its owner's sending connection. */
        private int createGroup(String group) throws Exception {
            String token = token("owner-" + group);
            if (chorus) {
                post(
                        token,
                        "/api/groups",
                        "{\"groupId\":\"" + group + "\",\"name\":\"" + group + "\",\"visibility\":\"open\"}");
            }
            return connections.open(token);
        }

        void prepareMore(int count) throws Exception {
            for (int i = 0; i < count; i++) {
                int user = subscriberConnections.size();
                String group = "g" + (user % groups);
                String token = token("u" + user);
                if (chorus) {
                    post(token, "/api/groups/" + group + "/join", "");
                }
                int connection = connections.open(token);
                connections.subscribe(connection, "/topic/groups." + group);
                subscriberConnections.add(connection);
            }
        }

        /**
         * Before the fan-out run, so that the latency run has one subscription per connection: every connection
         * joins and follows one of the large groups too; the first step's warm-up lets the subscriptions settle.
         */
        void followLargeGroups() throws Exception {
            for (int g = 0; g < FAN_OUT_GROUPS; g++) {
                largeGroupSenders.add(createGroup("f" + g));
            }
            for (int user = 0; user < subscriberConnections.size(); user++) {
                String group = "f" + (user % FAN_OUT_GROUPS);
                if (chorus) {
                    post(token("u" + user), "/api/groups/" + group + "/join", "");
                }
                connections.subscribe(subscriberConnections.get(user), "/topic/groups." + group);
            }
        }

        /** The latency run's groups. */
        Audience groups() {
            return new Audience("g", senders, subscriberConnections.size() / groups);
        }

        /** The fan-out run's large groups. */
        Audience largeGroups() {
            return new Audience("f", largeGroupSenders, subscriberConnections.size() / FAN_OUT_GROUPS);
        }

        /** A sampled delivery with the server's stamp: split there ({@link Window#split}). */
        private void stamped(long id, long stampMillis) {
            long now = System.currentTimeMillis();
            Window current = window;
            if (current != null) {
                long sentMillis = (sentAt[(int) id] + wallMinusNano) / 1_000_000L;
                current.recordStamped(id, stampMillis - sentMillis, now - stampMillis);
            }
        }

        private void delivered(long id) {
            long now = System.nanoTime();
            deliveries.increment();
            Window current = window;
            if (current != null) {
                current.record(id, now - sentAt[(int) id]);
            }
        }

        /**
         * Runs the pacer at {@code perSecond} for a warm-up of {@code warmUp} to {@code warmUpMax} ({@link JitWarmUp})
         * plus the measured time; figures of the measured part.
         */
        Figures phase(int perSecond, Duration warmUp, Duration warmUpMax, Duration length, Audience audience)
                throws InterruptedException, IOException {
            int groupCount = audience.senders().size();
            long expectedDeliveries = (long) perSecond * length.toSeconds() * audience.subscribersPerGroup();
            int closedBefore = connections.closedByServer();
            long start = System.nanoTime();
            JitWarmUp warming = new JitWarmUp(cpu::read, ForkJoinPool.commonPool(), start, warmUp, warmUpMax);
            // until the warm-up ends
            long end = Long.MAX_VALUE;
            long sent = 0;
            Window measuring = null;
            CompletableFuture<ServerTimes> serverBefore = null;
            CompletableFuture<ProcessCpu.Reading> cpuBefore = null;
            CompletableFuture<MachineCpu.Reading> machineBefore = null;
            int nextGroup = 0;
            while (true) {
                long now = System.nanoTime();
                if (now >= end) {
                    break;
                }
                if (measuring == null && warming.warm(now)) {
                    end = now + length.toNanos();
                    lastWarmUp = warming.summary();
                    measuring = new Window(nextId.get(), (int) Math.min(Integer.MAX_VALUE - 8, expectedDeliveries * 2));
                    window = measuring;
                    // off the pacer's thread: reading them takes milliseconds
                    serverBefore = CompletableFuture.supplyAsync(this::serverTimes);
                    cpuBefore = CompletableFuture.supplyAsync(cpu::read);
                    machineBefore = CompletableFuture.supplyAsync(machine::read);
                }
                long due = (now - start) * perSecond / 1_000_000_000L;
                while (sent < due) {
                    send(audience.senders().get(nextGroup), audience.prefix() + nextGroup);
                    nextGroup = (nextGroup + 1) % groupCount;
                    sent++;
                }
                // until the next message is due: a fixed 0.2 ms nap woke the pacer 5,000 times a second, on the cores
                // the server under test shares
                long nextDue = start + ((sent + 1) * 1_000_000_000L + perSecond - 1) / perSecond;
                LockSupport.parkNanos(Math.min(nextDue, end) - System.nanoTime());
            }
            measuring.endId = nextId.get();
            lastServerCpu = cpu.read().since(cpuBefore.join(), measuring.endId - measuring.firstId);
            lastMachineCpu = machine.read().since(machineBefore.join(), measuring.endId - measuring.firstId);
            long messages = measuring.endId - measuring.firstId;
            long expected = messages * audience.subscribersPerGroup();
            // What was sent in the window may still be on its way. A server that fell behind is still delivering
            // (older messages first): wait while any deliveries keep coming, up to two minutes, so that its latency
            // is measured rather than its backlog cut off (which would report nothing delivered); 5 s without a
            // delivery ends the wait early.
            long hardDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            long quietDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            long seen = deliveries.sum();
            while (measuring.count.get() < expected && System.nanoTime() < Math.min(hardDeadline, quietDeadline)) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                long now = deliveries.sum();
                if (now > seen) {
                    seen = now;
                    quietDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                }
            }
            window = null;
            int closed = connections.closedByServer() - closedBefore;
            if (closed > 0) {
                System.out.println("  the server closed " + closed + " of the harness's connections in this phase");
            }
            if (chorus) {
                ServerTimes before = serverBefore.join();
                lastServerSide = serverTimes().summarySince(before, messages);
                lastSplit = measuring.split();
            }
            if (TRACE) {
                printSlowestSlices(measuring);
            }
            long[] sorted = measuring.sorted();
            return new Figures(
                    (double) measuring.count.get() / length.toSeconds(),
                    expected == 0 ? 0 : (double) measuring.count.get() / expected,
                    Figures.percentile(sorted, 0.50),
                    Figures.percentile(sorted, 0.99),
                    Figures.percentile(sorted, 0.999));
        }

        private void printSlowestSlices(Window measured) {
            long slice = TimeUnit.MILLISECONDS.toNanos(100);
            Map<Long, List<Long>> bySlice = new TreeMap<>();
            int n = Math.min(measured.count.get(), measured.latencies.length);
            for (int i = 0; i < n; i++) {
                long sliceStart = (sentAt[(int) measured.ids[i]] + wallMinusNano) / slice;
                bySlice.computeIfAbsent(sliceStart, k -> new ArrayList<>()).add(measured.latencies[i]);
            }
            record Slice(long start, int count, long p99, long max) {}
            List<Slice> slices = new ArrayList<>();
            bySlice.forEach((start, latencies) -> {
                long[] sorted =
                        latencies.stream().mapToLong(Long::longValue).sorted().toArray();
                slices.add(new Slice(
                        start * 100, sorted.length, Figures.percentile(sorted, 0.99), sorted[sorted.length - 1]));
            });
            slices.sort(Comparator.comparingLong(Slice::max).reversed());
            DateTimeFormatter clock =
                    DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
            System.out.println("  slowest 100 ms slices (send time: deliveries, p99 ms, max ms):");
            slices.stream()
                    .limit(15)
                    .forEach(s -> System.out.printf(
                            "    %s: %d, %.1f, %.1f%n",
                            clock.format(Instant.ofEpochMilli(s.start())), s.count(), s.p99() / 1e6, s.max() / 1e6));
            long over50 = slices.stream()
                    .filter(s -> s.p99() > TimeUnit.MILLISECONDS.toNanos(50))
                    .count();
            System.out.printf("  slices with p99 > 50 ms: %d of %d%n", over50, slices.size());
        }

        private ServerTimes serverTimes() {
            try {
                if (adminToken == null) {
                    adminToken = BenchContext.devToken(base, "bench-admin", "chorus:admin");
                }
                return ServerTimes.parse(adminGet(base, adminToken, "/actuator/prometheus"));
            } catch (Exception e) {
                throw new IllegalStateException("could not read the server's histograms", e);
            }
        }

        private void send(int sender, String group) throws IOException {
            long id = nextId.getAndIncrement();
            sentAt[(int) id] = System.nanoTime();
            connections.send(
                    sender,
                    "/app/groups." + group + ".messages",
                    "{\"clientMessageId\":\"m" + id + "\",\"text\":\"m" + id + "\"}");
        }

        private URI websocketUri() {
            return URI.create(base.replace("http", "ws") + "/ws/websocket");
        }

        private String token(String user) throws Exception {
            return chorus ? BenchContext.devToken(base, user) : "none";
        }

        private void post(String token, String path, String body) throws Exception {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create(base + path))
                            .header("Content-Type", "application/json")
                            .header("Authorization", "Bearer " + token)
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 300) {
                throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
            }
        }

        void close() {
            connections.close();
        }
    }

    /** The body of a GET of the server's {@code path} with an admin token (the actuator's endpoints). */
    static String adminGet(String base, String adminToken, String path) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create(base + path))
                                .header("Authorization", "Bearer " + adminToken)
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** A server under test in its own JVM. */
    private static final class Server implements AutoCloseable {
        final Process process;
        final String base;

        private Server(Process process, String base) {
            this.process = process;
            this.base = base;
        }

        static Server start(String name, String classpath, String mainClass, List<String> args, String readyPath)
                throws Exception {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + "/bin/java"));
            command.addAll(SERVER_JVM_OPTIONS);
            String jfr = System.getenv("PUSH_BENCH_JFR");
            if (jfr != null) {
                // a CPU profile of each server: PUSH_BENCH_JFR=<directory>
                command.add("-XX:StartFlightRecording=filename=" + jfr + "/" + name
                        + ".jfr,settings=profile,dumponexit=true");
            }
            // PUSH_BENCH_SERVER_OPTS: more JVM options for both servers (a GC log, for instance)
            String options = System.getenv("PUSH_BENCH_SERVER_OPTS");
            if (options != null && !options.isBlank()) {
                command.addAll(List.of(options.trim().split("\\s+")));
            }
            command.addAll(List.of("-cp", classpath, mainClass, "--server.port=" + port));
            command.addAll(args);
            File log = new File("bench/target/push-" + name + ".log");
            log.getParentFile().mkdirs();
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log)
                    .start();
            String base = "http://localhost:" + port;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!ready(base, readyPath)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + " did not start; see " + log);
                }
                Thread.sleep(250);
            }
            return new Server(process, base);
        }

        private static boolean ready(String base, String path) {
            try {
                HttpResponse<String> response = HTTP.send(
                        HttpRequest.newBuilder(URI.create(base + (path == null ? "/ws/info" : path)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                return response.statusCode() == 200;
            } catch (IOException | InterruptedException e) {
                return false;
            }
        }

        /** Heap in use after a full GC (jcmd GC.run), from the app's Micrometer gauge. */
        long heapAfterGc() throws Exception {
            new ProcessBuilder(System.getProperty("java.home") + "/bin/jcmd", Long.toString(process.pid()), "GC.run")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .waitFor();
            String admin = BenchContext.devToken(base, "bench-admin", "chorus:admin");
            String body = adminGet(base, admin, "/actuator/metrics/jvm.memory.used?tag=area:heap");
            int at = body.indexOf("\"value\":");
            return (long) Double.parseDouble(
                    body.substring(at + 8, body.indexOf('}', at)).trim());
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
