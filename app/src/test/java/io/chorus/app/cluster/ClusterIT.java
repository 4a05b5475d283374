package io.chorus.app.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chorus.app.Api;
import io.chorus.app.Api.Response;
import io.chorus.app.TestRedis;
import io.chorus.app.process.ChorusProcess;
import io.chorus.app.push.StompClient;
import io.chorus.invariants.InvariantChecker;
import io.chorus.invariants.InvariantCheckerCli;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three all-in-one nodes as real processes ({@code java -jar chorus-app.jar}) sharing one PostgreSQL and one Redis,
 * without Axon Server: concurrent sends to one group through different nodes, every node's subscribers, the
 * projections' segments claimed by one node each and taken over when that node is killed with SIGKILL, and no
 * acknowledged send lost by the kill.
 */
class ClusterIT {

    @TempDir
    static Path dir;

    static EmbeddedPostgres postgres;
    static final List<ChorusProcess> nodes = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        postgres = EmbeddedPostgres.builder()
                .setDataDirectory(dir.resolve("postgres"))
                .setServerConfig("max_connections", "300")
                .start();
        nodes.add(ChorusProcess.start("node-1", null, postgres, ChorusProcess.FAST_FAILOVER));
        // the first node has migrated the schema; the others start together
        ChorusProcess second = ChorusProcess.launch("node-2", null, postgres, ChorusProcess.FAST_FAILOVER);
        ChorusProcess third = ChorusProcess.launch("node-3", null, postgres, ChorusProcess.FAST_FAILOVER);
        second.awaitReady();
        third.awaitReady();
        nodes.add(second);
        nodes.add(third);
    }

    @AfterAll
    static void stopCluster() throws IOException {
        for (ChorusProcess node : nodes) {
            node.process().destroyForcibly();
        }
        for (ChorusProcess node : nodes) {
            try {
                node.process().waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void threeNodesShareOneGroupSurviveAKillAndFailOverTheProjections() throws Exception {
        Api first = nodes.get(0).api();
        String alice = first.token("alice");
        String group = "cluster-" + UUID.randomUUID().toString().substring(0, 8);
        first.createOpenGroup(alice, group, "Cluster");

        // a subscriber on every node
        Map<String, List<StompClient.Frame>> received = new HashMap<>();
        List<StompClient> clients = new ArrayList<>();
        for (ChorusProcess node : nodes) {
            StompClient client = new StompClient(node.port());
            clients.add(client);
            received.put(node.name(), client.connect(alice).subscribe(group, 0L));
        }

        // concurrent sends through the three nodes, each client message id once, one of them repeated elsewhere
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        ExecutorService senders = Executors.newFixedThreadPool(3);
        List<Future<?>> firstSends = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            ChorusProcess node = nodes.get(n);
            ChorusProcess other = nodes.get((n + 1) % 3);
            firstSends.add(senders.submit(() -> {
                for (int i = 0; i < 40; i++) {
                    String id = node.name() + "-" + i;
                    Response sent = sendAsAClientDoes(node, alice, group, id);
                    assertThat(sent.status()).as("%s: %s", id, sent.body()).isEqualTo(201);
                    acknowledged.put(id, sent.body().get("seq").asLong());
                }
                Response again = other.api()
                        .post(
                                alice,
                                messages(group),
                                Map.of("clientMessageId", node.name() + "-7", "text", node.name() + "-7"));
                assertThat(again.status()).isEqualTo(200);
                assertThat(again.body().get("seq").asLong()).isEqualTo(acknowledged.get(node.name() + "-7"));
                return null;
            }));
        }
        senders.shutdown();
        for (Future<?> sender : firstSends) {
            sender.get(120, TimeUnit.SECONDS); // a failed send fails the test with its answer
        }
        assertThat(acknowledged).hasSize(120);
        assertThat(new HashSet<>(acknowledged.values())).hasSize(120);
        assertThat(acknowledged.values()).allSatisfy(seq -> assertThat(seq).isBetween(2L, 121L));
        for (ChorusProcess node : nodes) {
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(received.get(node.name())).hasSize(121));
            assertThat(received.get(node.name()).stream().map(StompClient.Frame::seq))
                    .as("frames on %s", node.name())
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(1, 121).boxed().toList());
        }

        // each segment of the live projections is claimed by one node of the three
        Map<String, Long> owners =
                await().atMost(Duration.ofSeconds(60)).until(ClusterIT::segmentOwners, map -> !map.isEmpty());
        Set<Long> pids = nodes.stream().map(ChorusProcess::pid).collect(Collectors.toSet());
        assertThat(owners.values()).allSatisfy(pid -> assertThat(pids).contains(pid));
        String segment = owners.keySet().stream()
                .filter(s -> s.startsWith("history"))
                .findFirst()
                .orElseThrow();
        long victimPid = owners.get(segment);
        ChorusProcess victim =
                nodes.stream().filter(n -> n.pid() == victimPid).findFirst().orElseThrow();
        List<ChorusProcess> survivors = nodes.stream().filter(n -> n != victim).toList();
        System.out.printf(
                "cluster: %s owns %s; killing it with SIGKILL while all three nodes take sends%n",
                victim.name(), segment);

        // sends keep coming through every node while the owner is killed
        AtomicBoolean sending = new AtomicBoolean(true);
        Map<String, Long> duringKill = new ConcurrentHashMap<>();
        ExecutorService busy = Executors.newFixedThreadPool(3);
        for (ChorusProcess node : nodes) {
            busy.submit(() -> {
                for (int i = 0; sending.get(); i++) {
                    String id = "k-" + node.name() + "-" + i;
                    try {
                        Response sent =
                                node.api().post(alice, messages(group), Map.of("clientMessageId", id, "text", id));
                        if (sent.status() == 201) {
                            duringKill.put(id, sent.body().get("seq").asLong());
                        }
                    } catch (UncheckedIOException e) {
                        // the killed node: not acknowledged, so promised nothing
                    }
                }
                return null;
            });
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> duringKill.size() >= 30);
        victim.kill();
        int atKill = duringKill.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> duringKill.size() >= atKill + 30);
        sending.set(false);
        busy.shutdown();
        assertThat(busy.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        // then the killed node's segments are claimed by a survivor within the claim timeout
        Set<Long> survivorPids = survivors.stream().map(ChorusProcess::pid).collect(Collectors.toSet());
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            Map<String, Long> now = segmentOwners();
            assertThat(now.keySet()).containsAll(owners.keySet());
            assertThat(now.values()).allSatisfy(pid -> assertThat(survivorPids).contains(pid));
        });

        // and every acknowledged send is in the event stream once, seq 1..n has no gap, the history has caught up
        Map<String, Long> all = new HashMap<>(acknowledged);
        all.putAll(duringKill);
        Api survivor = survivors.get(0).api();
        String integrator = survivor.token("etl", "chorus:integrator");
        List<JsonNode> events = survivor.events(integrator, "groupId=" + group).events();
        long last = events.size();
        assertThat(events.stream().map(e -> e.get("seq").asLong()))
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, last).boxed().toList());
        Map<String, Long> stored = events.stream()
                .filter(e -> e.get("type").asText().equals("MessageSent"))
                .collect(Collectors.toMap(
                        e -> e.at("/payload/clientMessageId").asText(),
                        e -> e.get("seq").asLong()));
        assertThat(stored).containsAllEntriesOf(all);
        System.out.printf(
                "cluster: %d sends acknowledged (%d around the kill), all stored once; group at seq %d%n",
                all.size(), duringKill.size(), last);
        for (ChorusProcess node : survivors) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                Response history =
                        node.api().call("GET", messages(group) + "?after=" + (last - 20) + "&limit=50", alice, null);
                assertThat(history.status()).isEqualTo(200);
                assertThat(history.body()
                                .get("messages")
                                .get(history.body().get("messages").size() - 1)
                                .get("seq")
                                .asLong())
                        .isEqualTo(last);
            });
            // the surviving nodes' subscribers got everything, once, in order
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(received.get(node.name())).hasSize((int) last));
            assertThat(received.get(node.name()).stream().map(StompClient.Frame::seq))
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(1, last).boxed().toList());
        }
        clients.forEach(StompClient::close);

        // and the invariant checker agrees: store, history, Redis window and the survivors' subscribers
        String base = "http://localhost:" + survivors.get(0).port();
        String jdbc = postgres.getJdbcUrl("postgres", "postgres");
        String redis = "redis://127.0.0.1:" + TestRedis.port();
        InvariantChecker checker = new InvariantChecker(base, integrator, jdbc, "postgres", "", redis);
        List<InvariantChecker.Ack> acks = all.entrySet().stream()
                .map(ack -> new InvariantChecker.Ack(group, "alice", ack.getKey(), ack.getValue()))
                .toList();
        List<InvariantChecker.Subscriber> subscribers = survivors.stream()
                .map(node -> new InvariantChecker.Subscriber(
                        node.name(),
                        group,
                        0,
                        received.get(node.name()).stream()
                                .map(StompClient.Frame::seq)
                                .toList()))
                .toList();
        InvariantChecker.Report report = checker.check(acks, subscribers);
        System.out.println("cluster: invariants\n" + report);
        assertThat(report.violations()).isEmpty();
        // (a checker that cannot fail proves nothing: a made-up acknowledgement and a subscriber with a gap)
        InvariantChecker.Report broken = checker.check(
                List.of(new InvariantChecker.Ack(group, "alice", "never-sent", last + 1)),
                List.of(new InvariantChecker.Subscriber("gappy", group, 0, List.of(1L, 3L))));
        assertThat(broken.violations())
                .anyMatch(v -> v.contains("never-sent") && v.contains("not in the event store"))
                .anyMatch(v -> v.contains("subscriber gappy"));

        // the command-line form reads the same from files: the real acknowledgements hold, a made-up one does not
        Path acksFile = dir.resolve("acks.jsonl");
        Files.write(
                acksFile,
                acks.stream()
                        .map(ack -> String.format(
                                "{\"groupId\":\"%s\",\"senderId\":\"alice\",\"clientMessageId\":\"%s\",\"seq\":%d}",
                                group, ack.clientMessageId(), ack.seq()))
                        .toList());
        Path madeUp = dir.resolve("made-up.jsonl");
        Files.writeString(
                madeUp,
                "{\"groupId\":\"" + group + "\",\"senderId\":\"alice\",\"clientMessageId\":\"never\",\"seq\":1}\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] cli = {
            "--base",
            base,
            "--token",
            integrator,
            "--jdbc",
            jdbc,
            "--db-user",
            "postgres",
            "--db-password",
            "",
            "--redis",
            redis,
            "--acks",
            acksFile.toString()
        };
        assertThat(InvariantCheckerCli.run(cli, new PrintStream(out), System.err))
                .isZero();
        assertThat(out.toString()).contains("violations: none");
        cli[cli.length - 1] = madeUp.toString();
        assertThat(InvariantCheckerCli.run(cli, new PrintStream(new ByteArrayOutputStream()), System.err))
                .isEqualTo(1);
    }

    /**
     * A send, repeated with the same client message id after a 409 that stored nothing (the command lost the race
     * for the group's next seq more often than the server retries it), as API.md tells clients to.
     */
    private static Response sendAsAClientDoes(ChorusProcess node, String token, String group, String id) {
        Response sent = node.api().post(token, messages(group), Map.of("clientMessageId", id, "text", id));
        for (int retry = 0;
                retry < 3 && sent.status() == 409 && sent.detail().contains("nothing was stored");
                retry++) {
            System.out.printf("cluster: %s answered 409 (lost the race); sent again with the same id%n", id);
            sent = node.api().post(token, messages(group), Map.of("clientMessageId", id, "text", id));
        }
        return sent;
    }

    private static String messages(String group) {
        return "/api/groups/" + group + "/messages";
    }

    /** Owner (a node's pid) of each claimed segment of the active projections' processors: "history-a/0" → pid. */
    private static Map<String, Long> segmentOwners() {
        Map<String, Long> owners = new HashMap<>();
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select t.processor_name, t.segment, t.owner from token_entry t"
                        + " join projection_slot s on t.processor_name = s.name || '-' || s.active"
                        + " where t.owner is not null")) {
            while (rows.next()) {
                String owner = rows.getString("owner");
                owners.put(
                        rows.getString("processor_name") + "/" + rows.getInt("segment"),
                        Long.parseLong(owner.substring(0, owner.indexOf('@'))));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return owners;
    }
}
