package io.chorus.bench.send;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chorus.api.group.AddMemberCommand;
import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Role;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.bench.BenchContext;
import io.chorus.bench.ReportLine;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Durable sends per second through the REST API and through the command gateway, over 100 groups, on one hot
 * group that already holds 100,000 events and on an empty group; and, as the ceiling, single-row durable INSERTs
 * into the same PostgreSQL at the same concurrency. Everything runs on this machine in one run:
 *
 * <pre>bench/send-benchmark.sh [concurrency=32] [seconds per scenario=15] [hot group size=100000] [only]</pre>
 */
public final class SendBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int GROUPS = 100;
    /** Long enough for the JIT: with 3 s, C2 compilation still took a third of the JVM CPU during REST runs. */
    private static final Duration WARM_UP = Duration.ofSeconds(10);

    private final int concurrency;
    private final Duration duration;
    private final CommandGateway gateway;
    private final String base;
    private final List<String> users = new ArrayList<>();
    private final List<String> tokens = new ArrayList<>();
    private final AtomicLong clientIds = new AtomicLong();
    /** Runs only the scenarios whose name contains this (and the ceiling), e.g. for a profile. */
    private String only;

    private SendBenchmark(int concurrency, Duration duration, CommandGateway gateway, int port) {
        this.concurrency = concurrency;
        this.duration = duration;
        this.gateway = gateway;
        this.base = "http://localhost:" + port;
    }

    record Result(String name, double perSecond, double p50Millis, double p99Millis, long failures) {}

    public static void main(String[] args) throws Exception {
        // HttpURLConnection keeps 5 idle connections per host by default: with more senders, most requests would
        // open a new TCP connection and the figure would measure connection set-up
        System.setProperty("http.maxConnections", "256");
        int concurrency = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        Duration duration = Duration.ofSeconds(args.length > 1 ? Integer.parseInt(args[1]) : 15);
        int hotSize = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
        try (ConfigurableApplicationContext context = BenchContext.start()) {
            int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
            SendBenchmark bench = new SendBenchmark(concurrency, duration, context.getBean(CommandGateway.class), port);
            bench.only = args.length > 3 ? args[3].replace('_', ' ') : null;
            bench.run(context, hotSize);
        }
        System.exit(0);
    }

    private void run(ConfigurableApplicationContext context, int hotSize) throws Exception {
        System.out.printf("machine: %s; app, PostgreSQL and load on the same machine%n", BenchContext.machine());
        System.out.printf(
                "concurrency %d, %d s per scenario after %d s warm-up%n",
                concurrency, duration.toSeconds(), WARM_UP.toSeconds());
        for (int u = 0; u < concurrency; u++) {
            users.add("user" + u);
            tokens.add(BenchContext.devToken(base, "user" + u));
        }
        List<String> groups = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            groups.add(createGroupWithEveryone("many-" + g));
        }
        String hot = createGroupWithEveryone("hot");
        long fillStart = System.nanoTime();
        prefill(context, hot, hotSize);
        System.out.printf(
                "hot group prefilled with %d events in %.1f s%n", hotSize, (System.nanoTime() - fillStart) / 1e9);
        long firstLoad = System.nanoTime();
        gateway.sendAndWait(new SendMessageCommand(hot, users.get(0), "first-load", "x", null, Instant.now()));
        System.out.printf(
                "first command on the hot group (loads %d events, then snapshots): %.0f ms%n",
                hotSize, (System.nanoTime() - firstLoad) / 1e6);
        String empty = createGroupWithEveryone("empty");

        List<Result> results = new ArrayList<>();
        String url = context.getEnvironment().getProperty("spring.datasource.url");
        String user = context.getEnvironment().getProperty("spring.datasource.username");
        String password = context.getEnvironment().getProperty("spring.datasource.password");
        results.add(measure("ceiling: INSERT", t -> insertLoop(url, user, password)));
        results.add(measure("gateway, 100 groups", t -> () -> viaGateway(t, groups.get(random(GROUPS)))));
        results.add(measure("REST, 100 groups", t -> () -> viaRest(t, groups.get(random(GROUPS)))));
        results.add(measure("gateway, hot group", t -> () -> viaGateway(t, hot)));
        results.add(measure("REST, hot group", t -> () -> viaRest(t, hot)));
        results.add(measure("gateway, empty group", t -> () -> viaGateway(t, empty)));
        results.add(measure("REST, empty group", t -> () -> viaRest(t, empty)));

        double ceiling = results.get(0).perSecond();
        System.out.println();
        System.out.printf(
                "| %-22s | %10s | %8s | %8s | %10s | %8s |%n",
                "scenario", "per second", "p50 ms", "p99 ms", "/ ceiling", "failures");
        System.out.println("|------------------------|-----------:|---------:|---------:|-----------:|---------:|");
        for (Result r : results) {
            System.out.printf(
                    "| %-22s | %10.0f | %8.2f | %8.2f | %10.3f | %8d |%n",
                    r.name(), r.perSecond(), r.p50Millis(), r.p99Millis(), r.perSecond() / ceiling, r.failures());
        }
        System.out.printf(
                "%nhot / empty: gateway %.2f, REST %.2f%n",
                results.get(3).perSecond() / results.get(5).perSecond(),
                results.get(4).perSecond() / results.get(6).perSecond());
        for (int i = 1; i <= 2; i++) {
            Result many = results.get(i);
            ReportLine.print(
                    "send",
                    many.name(),
                    many.perSecond(),
                    "sends/s",
                    ceiling,
                    true,
                    ">= 5,000/s and >= 0.33 of INSERT",
                    many.perSecond() >= 5000 && many.perSecond() / ceiling >= 0.33);
            Result hotGroup = results.get(i + 2);
            ReportLine.print(
                    "send",
                    hotGroup.name(),
                    hotGroup.perSecond(),
                    "sends/s",
                    Double.NaN,
                    true,
                    ">= 2,000/s",
                    hotGroup.perSecond() >= 2000);
            double hotOverEmpty = hotGroup.perSecond() / results.get(i + 4).perSecond();
            ReportLine.print(
                    "send",
                    "hot / empty group, " + (i == 1 ? "gateway" : "REST"),
                    hotOverEmpty,
                    "",
                    Double.NaN,
                    true,
                    ">= 0.9",
                    hotOverEmpty >= 0.9);
        }
    }

    private Result measure(String name, ActionFactory actions) throws Exception {
        if (only != null && !name.equals("ceiling: INSERT") && !name.contains(only)) {
            return new Result(name, 0, 0, 0, 0);
        }
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        long warmUpEnd = System.nanoTime() + WARM_UP.toNanos();
        long end = warmUpEnd + duration.toNanos();
        List<Future<long[]>> futures = new ArrayList<>();
        AtomicLong failures = new AtomicLong();
        for (int t = 0; t < concurrency; t++) {
            Action action = actions.create(t);
            futures.add(pool.submit(() -> {
                long[] latencies = new long[1 << 16];
                int count = 0;
                long now;
                while ((now = System.nanoTime()) < end) {
                    try {
                        action.run();
                    } catch (Exception e) {
                        failures.incrementAndGet();
                        continue;
                    }
                    if (now >= warmUpEnd) {
                        if (count == latencies.length) {
                            latencies = Arrays.copyOf(latencies, count * 2);
                        }
                        latencies[count++] = System.nanoTime() - now;
                    }
                }
                return Arrays.copyOf(latencies, count);
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> f : futures) {
            all.add(f.get());
        }
        pool.shutdown();
        long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        double perSecond = merged.length / (duration.toNanos() / 1e9);
        double p50 = merged.length == 0 ? 0 : merged[merged.length / 2] / 1e6;
        double p99 = merged.length == 0 ? 0 : merged[(int) (merged.length * 0.99)] / 1e6;
        System.out.printf("%-22s %8.0f/s p50 %.2f ms p99 %.2f ms%n", name, perSecond, p50, p99);
        return new Result(name, perSecond, p50, p99, failures.get());
    }

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    @FunctionalInterface
    interface ActionFactory {
        Action create(int thread) throws Exception;
    }

    private void viaGateway(int thread, String group) {
        gateway.sendAndWait(new SendMessageCommand(
                group, users.get(thread), "c" + clientIds.incrementAndGet(), "benchmark message", null, Instant.now()));
    }

    /**
     * One synchronous keep-alive request per call with {@link HttpURLConnection}: measured lighter on this 2-core
     * machine than {@code java.net.http.HttpClient}, whose asynchronous machinery shares the CPU with the server.
     */
    private void viaRest(int thread, String group) throws Exception {
        byte[] body = JSON.writeValueAsBytes(
                Map.of("clientMessageId", "c" + clientIds.incrementAndGet(), "text", "benchmark message"));
        HttpURLConnection connection = (HttpURLConnection)
                URI.create(base + "/api/groups/" + group + "/messages").toURL().openConnection();
        connection.setRequestMethod("POST");
        connection.setDoOutput(true);
        connection.setRequestProperty("Authorization", "Bearer " + tokens.get(thread));
        connection.setRequestProperty("Content-Type", "application/json");
        connection.setFixedLengthStreamingMode(body.length);
        try (OutputStream out = connection.getOutputStream()) {
            out.write(body);
        }
        int status = connection.getResponseCode();
        try (InputStream in = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
            byte[] answer = in.readAllBytes();
            if (status != 201) {
                throw new IllegalStateException("send answered " + status + ": " + new String(answer));
            }
        }
    }

    /** Each thread its own connection, autocommit: one durable single-row transaction per INSERT. */
    private static Action insertLoop(String url, String user, String password) throws Exception {
        Connection connection = DriverManager.getConnection(url, user, password);
        try (Statement s = connection.createStatement()) {
            s.execute("create table if not exists bench_ceiling (id bigserial primary key, payload bytea not null)");
        }
        connection.setAutoCommit(true);
        PreparedStatement insert = connection.prepareStatement("insert into bench_ceiling (payload) values (?)");
        byte[] payload = new byte[300];
        return () -> {
            insert.setBytes(1, payload);
            insert.executeUpdate();
        };
    }

    private static int random(int bound) {
        return ThreadLocalRandom.current().nextInt(bound);
    }

    private String createGroupWithEveryone(String name) {
        String group = name + "-" + Long.toHexString(System.nanoTime());
        gateway.sendAndWait(new CreateGroupCommand(group, name, Visibility.OPEN, users.get(0), Instant.now()));
        for (String user : users.subList(1, users.size())) {
            gateway.sendAndWait(new AddMemberCommand(group, users.get(0), user, Role.MEMBER, Instant.now()));
        }
        return group;
    }

    /** Appends messages straight to the event store, in batches, as the group's own history would hold them. */
    private void prefill(ConfigurableApplicationContext context, String group, int count) {
        EventStorageEngine engine = context.getBean(EventStorageEngine.class);
        TransactionTemplate transactions = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
        long seq = users.size(); // creation + (users - 1) members so far
        int batch = 1000;
        for (int done = 0; done < count; done += batch) {
            List<GenericDomainEventMessage<?>> events = new ArrayList<>();
            for (int i = 0; i < Math.min(batch, count - done); i++) {
                seq++;
                String clientId = "prefill-" + seq;
                events.add(new GenericDomainEventMessage<>(
                        "GroupAggregate",
                        group,
                        seq - 1,
                        new MessageSentEvent(
                                group, seq, "m-" + seq, clientId, users.get(0), "history", null, Instant.now())));
            }
            transactions.executeWithoutResult(status -> engine.appendEvents(events));
        }
        // the group was appended to behind the aggregate's back: drop what the cache holds of it
        context.getBean("groupCache", org.axonframework.common.caching.Cache.class)
                .remove(group);
    }
}
