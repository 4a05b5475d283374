package io.chorus.bench.read;

import io.chorus.api.group.GroupCreatedEvent;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.MessageEditedEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.bench.BenchContext;
import io.chorus.bench.ReportLine;
import io.chorus.query.history.PageQuery;
import io.chorus.query.projection.ProjectionSlots;
import io.chorus.query.projection.ReplayCoordinator;
import io.chorus.query.projection.SlotProjection;
import io.chorus.query.recent.RedisHistoryReader;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import javax.sql.DataSource;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.SimpleEventHandlerInvoker;
import org.axonframework.eventhandling.TrackingEventProcessor;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.redisson.api.RList;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The query side's figures, in one run on this machine:
 *
 * <ul>
 *   <li>recent pages (the newest 50 messages) over HTTP at 50 concurrent readers, against {@code redis-benchmark}
 *       LRANGE of 50 items on the same Redis at 50 clients as the ceiling; older pages from PostgreSQL;
 *   <li>rebuilding the history projection from the first of {@code groups × perGroup} events, against a raw keyset
 *       scan of the event table and against Axon's stock setup (a tracking processor, one event per transaction)
 *       running the same handlers.
 * </ul>
 *
 * <pre>bench/read-benchmark.sh [groups=1000] [events per group=1000] [read seconds=20] [stock seconds=60]</pre>
 */
public final class ReadBenchmark {

    private static final int READERS = 50;
    private static final int PAGE = 50;
    private static final Duration WARM_UP = Duration.ofSeconds(10);

    private final ConfigurableApplicationContext context;
    private final JdbcTemplate jdbc;
    private final String base;
    private final int groups;
    private final int perGroup;

    private ReadBenchmark(ConfigurableApplicationContext context, int groups, int perGroup) {
        this.context = context;
        this.jdbc = context.getBean(JdbcTemplate.class);
        this.base = "http://localhost" + ":" + context.getEnvironment().getProperty("local.server.port");
        this.groups = groups;
        this.perGroup = perGroup;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("http.maxConnections", "256");
        int groups = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int perGroup = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        Duration readFor = Duration.ofSeconds(args.length > 2 ? Integer.parseInt(args[2]) : 20);
        Duration stockFor = Duration.ofSeconds(args.length > 3 ? Integer.parseInt(args[3]) : 60);
        try (ConfigurableApplicationContext context = BenchContext.start()) {
            ReadBenchmark bench = new ReadBenchmark(context, groups, perGroup);
            bench.run(readFor, stockFor);
        }
        System.exit(0);
    }

    private static String group(int g) {
        return "read-" + g;
    }

    private void run(Duration readFor, Duration stockFor) throws Exception {
        System.out.printf("machine: %s; app, PostgreSQL, Redis and load on the same machine%n", BenchContext.machine());
        long events = prefill();
        awaitLive(events);

        // reads
        String token = BenchContext.devToken(base, "u0");
        Result recent = measure("recent pages (Redis)", readFor, t -> () -> read(token, "?limit=" + PAGE, "redis"));
        RedisHistoryReader reader = context.getBean(RedisHistoryReader.class);
        Result inProcess = measure(
                "recent pages, in-process",
                readFor,
                t -> () -> reader.jsonPage(
                                group(ThreadLocalRandom.current().nextInt(Math.min(100, groups))),
                                PageQuery.newest(PAGE))
                        .isPresent());
        Result older = measure(
                "older pages (PostgreSQL)",
                readFor,
                t -> () -> read(token, "?before=" + (perGroup / 2) + "&limit=" + PAGE, "postgres"));
        double[] ceiling = redisBenchmark();

        // rebuilds
        double scan = rawScan();
        double stock = stockReplay(stockFor);
        double history = chorusReplay("history", events);
        double windows = chorusReplay("recent", events);

        System.out.println();
        System.out.printf("| %-52s | %12s | %8s | %8s |%n", "figure", "per second", "p50 ms", "p99 ms");
        System.out.println(
                "|------------------------------------------------------|-------------:|---------:|---------:|");
        row("ceiling: redis-benchmark LRANGE 50 items, 50 clients", ceiling[0], ceiling[1], ceiling[2]);
        row("recent 50-message pages over HTTP, 50 readers", recent.perSecond, recent.p50, recent.p99);
        row("recent pages in-process (Redis reader, no HTTP)", inProcess.perSecond, inProcess.p50, inProcess.p99);
        row("older 50-message pages (PostgreSQL), 50 readers", older.perSecond, older.p50, older.p99);
        row("ceiling: raw keyset scan of the event table", scan, 0, 0);
        row("stock: tracking processor, one event per transaction", stock, 0, 0);
        row("Chorus: replay of the history projection", history, 0, 0);
        row("Chorus: replay of the Redis recent windows", windows, 0, 0);
        System.out.printf(
                "%nrecent reads / redis-benchmark LRANGE: %.3f; recent reads answered from Redis: %d of %d%n",
                recent.perSecond / ceiling[0], recent.matching, recent.count);
        System.out.printf(
                "history rebuild / stock: %.1f; history rebuild / raw scan: %.3f; windows rebuild / raw scan: %.3f%n",
                history / stock, history / scan, windows / scan);
        ReportLine.print(
                "read",
                "recent 50-message pages over HTTP, 50 readers",
                recent.perSecond,
                "reads/s",
                ceiling[0],
                true,
                ">= 10,000/s with p99 <= 5 ms (p99 " + String.format("%.2f", recent.p99) + " ms)",
                recent.perSecond >= 10_000 && recent.p99 <= 5);
        ReportLine.print(
                "read",
                "recent pages in-process (no HTTP)",
                inProcess.perSecond,
                "reads/s",
                ceiling[0],
                true,
                ">= 10,000/s with p99 <= 5 ms (p99 " + String.format("%.2f", inProcess.p99) + " ms)",
                inProcess.perSecond >= 10_000 && inProcess.p99 <= 5);
        ReportLine.print(
                "read",
                "replay of the history projection",
                history,
                "events/s",
                scan,
                true,
                ">= 20,000/s",
                history >= 20_000);
        ReportLine.print(
                "read",
                "replay of the Redis recent windows",
                windows,
                "events/s",
                scan,
                true,
                ">= 20,000/s",
                windows >= 20_000);
    }

    private static void row(String name, double perSecond, double p50, double p99) {
        System.out.printf(
                "| %-52s | %12.0f | %8s | %8s |%n",
                name,
                perSecond,
                p50 == 0 ? "" : String.format("%.2f", p50),
                p99 == 0 ? "" : String.format("%.2f", p99));
    }

    /** Appends each group's creation and messages (1 in 50 edited) straight to the event store, in batches. */
    private long prefill() {
        EventStorageEngine engine = context.getBean(EventStorageEngine.class);
        TransactionTemplate transactions = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
        long start = System.nanoTime();
        long events = 0;
        List<GenericDomainEventMessage<?>> batch = new ArrayList<>();
        Instant now = Instant.now();
        for (int g = 0; g < groups; g++) {
            String group = group(g);
            batch.add(new GenericDomainEventMessage<>(
                    "GroupAggregate", group, 0, new GroupCreatedEvent(group, 1, "G" + g, Visibility.OPEN, "u0", now)));
            for (long seq = 2; seq <= perGroup; seq++) {
                Object event = seq % 50 == 0
                        ? new MessageEditedEvent(group, seq, seq - 1, "u0", "edited text of " + (seq - 1), now)
                        : new MessageSentEvent(
                                group,
                                seq,
                                group + "-" + seq,
                                "c-" + seq,
                                "u0",
                                "a benchmark message of a realistic length, about eighty characters: " + seq,
                                null,
                                now);
                batch.add(new GenericDomainEventMessage<>("GroupAggregate", group, seq - 1, event));
                if (batch.size() == 2000) {
                    List<GenericDomainEventMessage<?>> full = batch;
                    transactions.executeWithoutResult(status -> engine.appendEvents(full));
                    events += full.size();
                    batch = new ArrayList<>();
                }
            }
        }
        List<GenericDomainEventMessage<?>> rest = batch;
        transactions.executeWithoutResult(status -> engine.appendEvents(rest));
        events += rest.size();
        System.out.printf(
                "prefilled %d events (%d groups × %d) in %.1f s%n",
                events, groups, perGroup, (System.nanoTime() - start) / 1e9);
        return events;
    }

    /** Waits until the live projections have every event (they followed the prefill as it was written). */
    private void awaitLive(long events) throws InterruptedException {
        long start = System.nanoTime();
        ReplayCoordinator replays = context.getBean(ReplayCoordinator.class);
        while (true) {
            boolean done =
                    replays.status().stream().allMatch(s -> s.position() != null && s.lag() != null && s.lag() == 0);
            Long projected = jdbc.queryForObject(
                    "select count(*) from history_group_"
                            + context.getBean(ProjectionSlots.class).active("history")
                            + " where last_seq = ?",
                    Long.class,
                    (long) perGroup);
            if (done && projected == groups) {
                break;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        System.out.printf(
                "live projections caught up with the prefill %.1f s after it ended (%d events)%n",
                (System.nanoTime() - start) / 1e9, events);
    }

    record Result(double perSecond, double p50, double p99, long count, long matching) {}

    @FunctionalInterface
    interface Action {
        boolean run() throws Exception;
    }

    private Result measure(String name, Duration duration, IntFunction<Action> actions) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(READERS);
        long warmUpEnd = System.nanoTime() + WARM_UP.toNanos();
        long end = warmUpEnd + duration.toNanos();
        AtomicLong matching = new AtomicLong();
        List<Future<long[]>> futures = new ArrayList<>();
        for (int t = 0; t < READERS; t++) {
            Action action = actions.apply(t);
            futures.add(pool.submit(() -> {
                long[] latencies = new long[1 << 16];
                int count = 0;
                long now;
                while ((now = System.nanoTime()) < end) {
                    boolean matched = action.run();
                    if (now >= warmUpEnd) {
                        if (count == latencies.length) {
                            latencies = Arrays.copyOf(latencies, count * 2);
                        }
                        latencies[count++] = System.nanoTime() - now;
                        if (matched) {
                            matching.incrementAndGet();
                        }
                    }
                }
                return Arrays.copyOf(latencies, count);
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> future : futures) {
            all.add(future.get());
        }
        pool.shutdown();
        long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        Result result = new Result(
                merged.length / (duration.toNanos() / 1e9),
                merged[merged.length / 2] / 1e6,
                merged[(int) (merged.length * 0.99)] / 1e6,
                merged.length,
                matching.get());
        System.out.printf(
                "%-26s %8.0f/s p50 %.2f ms p99 %.2f ms (%d of %d from the expected store)%n",
                name, result.perSecond, result.p50, result.p99, result.matching, result.count);
        return result;
    }

    /** One page of a random one of the first 100 groups; true when it came from the expected store. */
    private boolean read(String token, String query, String expectedSource) throws Exception {
        String group = group(ThreadLocalRandom.current().nextInt(Math.min(100, groups)));
        HttpURLConnection connection =
                (HttpURLConnection) URI.create(base + "/api/groups/" + group + "/messages" + query)
                        .toURL()
                        .openConnection();
        connection.setRequestProperty("Authorization", "Bearer " + token);
        int status = connection.getResponseCode();
        try (InputStream in = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
            byte[] body = in.readAllBytes();
            if (status != 200) {
                throw new IllegalStateException("read answered " + status + ": " + new String(body));
            }
        }
        return expectedSource.equals(connection.getHeaderField("Chorus-Read-From"));
    }

    /**
     * {@code redis-benchmark} LRANGE of a 50-item list of message-sized values on the app's Redis, 50 clients: per
     * second, p50 and p99 in ms (zeros when redis-benchmark is not installed; {@code apt-get install redis-tools}).
     */
    private double[] redisBenchmark() throws Exception {
        RedissonClient redisson = context.getBean(RedissonClient.class);
        RList<String> list = redisson.getList("bench:lrange", StringCodec.INSTANCE);
        list.delete();
        for (int i = 0; i < PAGE; i++) {
            list.add("{\"groupId\":\"read-1\",\"seq\":" + i + ",\"text\":\"a benchmark message of a realistic length,"
                    + " about eighty characters\",\"senderId\":\"u0\",\"sentAt\":\"2026-11-28T00:00:00Z\"}");
        }
        String port = context.getEnvironment().getProperty("spring.data.redis.port");
        ProcessBuilder command = new ProcessBuilder(
                        "redis-benchmark",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        port,
                        "-c",
                        Integer.toString(READERS),
                        "-n",
                        "400000",
                        "--csv",
                        "LRANGE",
                        "bench:lrange",
                        "0",
                        Integer.toString(PAGE - 1))
                .redirectErrorStream(true);
        Process process;
        try {
            process = command.start();
        } catch (java.io.IOException e) {
            System.out.println("redis-benchmark is not installed: no ceiling for the reads");
            return new double[] {0, 0, 0};
        }
        double[] figures = {0, 0, 0};
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            String[] header = null;
            while ((line = out.readLine()) != null) {
                String[] cells = line.replace("\"", "").split(",");
                if (cells[0].equals("test")) {
                    header = cells;
                } else if (header != null && cells.length == header.length) {
                    List<String> names = Arrays.asList(header);
                    figures = new double[] {
                        Double.parseDouble(cells[names.indexOf("rps")]),
                        Double.parseDouble(cells[names.indexOf("p50_latency_ms")]),
                        Double.parseDouble(cells[names.indexOf("p99_latency_ms")])
                    };
                }
            }
        }
        process.waitFor();
        System.out.printf(
                "redis-benchmark LRANGE 0 %d: %.0f/s p50 %.2f ms p99 %.2f ms%n",
                PAGE - 1, figures[0], figures[1], figures[2]);
        return figures;
    }

    /** Reads every event's payload in global order, 5,000 rows per keyset page: events per second. */
    private double rawScan() throws Exception {
        DataSource dataSource = context.getBean(DataSource.class);
        long start = System.nanoTime();
        long rows = 0;
        long bytes = 0;
        try (Connection connection = dataSource.getConnection();
                PreparedStatement page = connection.prepareStatement(
                        "select global_index, payload from domain_event_entry where global_index > ?"
                                + " order by global_index limit 5000")) {
            long after = 0;
            while (true) {
                page.setLong(1, after);
                int read = 0;
                try (ResultSet rs = page.executeQuery()) {
                    while (rs.next()) {
                        after = rs.getLong(1);
                        bytes += rs.getBytes(2).length;
                        read++;
                    }
                }
                rows += read;
                if (read == 0) {
                    break;
                }
            }
        }
        double perSecond = rows / ((System.nanoTime() - start) / 1e9);
        System.out.printf("raw keyset scan: %d events (%d MB of payload), %.0f/s%n", rows, bytes >> 20, perSecond);
        return perSecond;
    }

    /**
     * Axon's stock set-up on the same handlers (the idle history slot): a tracking processor, one thread, one event
     * per transaction, from the first event, for a while; events per second from its position.
     */
    private double stockReplay(Duration duration) throws Exception {
        ProjectionSlots slots = context.getBean(ProjectionSlots.class);
        String idle = slots.state("history").other();
        SlotProjection handlers = (SlotProjection) context.getBean("history" + idle.toUpperCase());
        handlers.clear();
        TokenStore tokens = context.getBean(TokenStore.class);
        TrackingEventProcessor stock = TrackingEventProcessor.builder()
                .name("bench-stock")
                .eventHandlerInvoker(SimpleEventHandlerInvoker.builder()
                        .eventHandlers(handlers)
                        .build())
                .messageSource(context.getBean(EventStore.class))
                .tokenStore(tokens)
                .transactionManager(context.getBean(TransactionManager.class))
                .trackingEventProcessorConfiguration(TrackingEventProcessorConfiguration.forSingleThreadedProcessing()
                        .andBatchSize(1))
                .build();
        long start = System.nanoTime();
        stock.start();
        TimeUnit.MILLISECONDS.sleep(duration.toMillis());
        long position = stock.processingStatus().values().stream()
                .map(EventTrackerStatus::getCurrentPosition)
                .mapToLong(p -> p.orElse(0))
                .min()
                .orElse(0);
        double seconds = (System.nanoTime() - start) / 1e9;
        stock.shutDown();
        handlers.clear();
        jdbc.update("delete from token_entry where processor_name = 'bench-stock'");
        double perSecond = position / seconds;
        System.out.printf("stock replay: %d events in %.0f s, %.0f/s%n", position, seconds, perSecond);
        return perSecond;
    }

    /** The admin replay of a projection, from the first event until the rebuilt slot serves: events per second. */
    private double chorusReplay(String projection, long events) throws Exception {
        ProjectionSlots slots = context.getBean(ProjectionSlots.class);
        ReplayCoordinator replays = context.getBean(ReplayCoordinator.class);
        String before = slots.active(projection);
        long start = System.nanoTime();
        if (!replays.replay(projection)) {
            throw new IllegalStateException("a replay of " + projection + " was already running");
        }
        while (slots.active(projection).equals(before)) {
            TimeUnit.MILLISECONDS.sleep(100);
            slots.refresh();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double perSecond = events / seconds;
        System.out.printf("replay of %s: %d events in %.1f s, %.0f/s%n", projection, events, seconds, perSecond);
        return perSecond;
    }
}
