package io.chorus.app.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import io.chorus.api.schema.EventTypes;
import io.chorus.app.Api;
import io.chorus.app.Api.Response;
import io.chorus.app.ChorusIT;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The integrator event stream (API.md, Event stream) against the real app: polling and Server-Sent Events with
 * resume, filters, refusals, every emitted event valid against the schemas the app publishes, and the example
 * integrator of the README surviving a kill -9.
 */
@ChorusIT
class EventStreamIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final SchemaValidatorsConfig STRICT =
            SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();

    @LocalServerPort
    int port;

    Api api;
    String alice;
    String bob;
    String integrator;
    final Map<String, JsonSchema> schemas = new HashMap<>();

    @BeforeEach
    void setUp() {
        api = new Api(port);
        alice = api.token("alice");
        bob = api.token("bob");
        integrator = api.token("etl", "chorus:integrator");
    }

    @Test
    void pollingPagesThroughEveryEventTypeOnceInOrderEachValidAgainstItsPublishedSchema() throws Exception {
        // given a group with every kind of event
        String group = "ev-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "Stream");
        assertThat(api.post(bob, "/api/groups/" + group + "/join", null).status())
                .isEqualTo(200);
        long first = send(alice, group, "c-1", "hello");
        send(bob, group, "c-2", "hi");
        assertThat(api.patch(alice, "/api/groups/" + group + "/messages/" + first, Map.of("text", "hello!"))
                        .status())
                .isEqualTo(200);
        assertThat(api.delete(alice, "/api/groups/" + group + "/messages/" + first)
                        .status())
                .isEqualTo(200);
        assertThat(api.post(bob, "/api/groups/" + group + "/read", Map.of("seq", first))
                        .status())
                .isEqualTo(200);
        assertThat(api.put(alice, "/api/groups/" + group + "/members/bob/role", Map.of("role", "admin"))
                        .status())
                .isEqualTo(200);
        assertThat(api.delete(alice, "/api/groups/" + group + "/members/bob?ban=true")
                        .status())
                .isEqualTo(200);
        assertThat(api.delete(alice, "/api/groups/" + group + "/bans/bob").status())
                .isEqualTo(200);
        assertThat(api.post(alice, "/api/groups/" + group + "/members", Map.of("userId", "carol"))
                        .status())
                .isEqualTo(200);
        assertThat(api.post(api.token("carol"), "/api/groups/" + group + "/leave", null)
                        .status())
                .isEqualTo(200);

        assertThat(api.patch(alice, "/api/groups/" + group, Map.of("name", "Stream 2", "topic", "events"))
                        .status())
                .isEqualTo(200);
        assertThat(api.post(alice, "/api/groups/" + group + "/archive", null).status())
                .isEqualTo(200);
        assertThat(api.delete(alice, "/api/groups/" + group + "/archive").status())
                .isEqualTo(200);

        // when an integrator pages through the group's events three at a time
        List<JsonNode> events = pollAll("groupId=" + group, 3, 16);

        // then every event is there once, in seq order, each valid against the schemas the app serves
        List<String> types = events.stream().map(e -> e.get("type").asText()).toList();
        assertThat(types)
                .containsExactly(
                        "GroupCreated",
                        "MemberJoined",
                        "MessageSent",
                        "MessageSent",
                        "MessageEdited",
                        "MessageDeleted",
                        "ReadMarkerMoved",
                        "RoleChanged",
                        "MemberRemoved",
                        "MemberUnbanned",
                        "MemberJoined",
                        "MemberLeft",
                        "GroupRenamed",
                        "TopicChanged",
                        "GroupArchived",
                        "GroupUnarchived");
        assertThat(events.stream()
                        .filter(e -> !e.get("seq").isNull())
                        .map(e -> e.get("seq").asLong()))
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 15).boxed().toList());
        assertThat(events).allSatisfy(e -> assertThat(e.get("groupId").asText()).isEqualTo(group));
        assertThat(events.stream().map(e -> e.get("position").asText()).collect(Collectors.toSet()))
                .hasSize(events.size());
        for (JsonNode event : events) {
            assertValid(event);
        }
        JsonNode sent = events.get(2);
        assertThat(sent.at("/payload/text").asText()).isEqualTo("hello");
        assertThat(sent.get("revision").asText()).isEqualTo("1");

        // and a type filter keeps only the types asked for
        assertThat(pollAll("groupId=" + group + "&type=MessageEdited,MemberLeft", 50, 2).stream()
                        .map(e -> e.get("type").asText()))
                .containsExactly("MessageEdited", "MemberLeft");
    }

    @Test
    void aPollerFollowingWhileFourClientsSendSeesEveryAcknowledgedSendOnceInSeqOrder() throws Exception {
        // given
        String group = "ev-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "Busy");
        ConcurrentLinkedQueue<Long> acknowledged = new ConcurrentLinkedQueue<>();
        ExecutorService senders = Executors.newFixedThreadPool(4);

        // when four clients send 40 messages each while the integrator polls seven at a time
        for (int client = 0; client < 4; client++) {
            int c = client;
            senders.submit(() -> {
                for (int i = 0; i < 40; i++) {
                    acknowledged.add(send(alice, group, "k-" + c + "-" + i, "m" + i));
                }
                return null;
            });
        }
        List<JsonNode> seen = new ArrayList<>();
        String after = null;
        while (seen.size() < 161) {
            Response page = api.call(
                    "GET",
                    "/api/events?groupId=" + group + "&limit=7&wait=5" + (after == null ? "" : "&after=" + after),
                    integrator,
                    null);
            assertThat(page.status()).isEqualTo(200);
            page.body().get("events").forEach(seen::add);
            after = page.body().get("next").asText();
        }
        senders.shutdown();
        assertThat(senders.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        // then
        assertThat(acknowledged).hasSize(160);
        assertThat(seen.stream().map(e -> e.get("seq").asLong()))
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, 161).boxed().toList());
        assertThat(api.call("GET", "/api/events?groupId=" + group + "&after=" + after, integrator, null)
                        .body()
                        .get("events"))
                .isEmpty();
    }

    @Test
    void serverSentEventsResumeAfterLastEventIdWithNothingSkippedOrRepeated() throws Exception {
        // given a group with 20 messages
        String group = "ev-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "Live");
        for (int i = 1; i <= 20; i++) {
            send(alice, group, "s-" + i, "m" + i);
        }
        String url = "http://localhost:" + port + "/api/events/stream?groupId=" + group;
        List<SseClient.Event> received = new ArrayList<>();

        // when a stream reads them, ten more arrive live, and it drops
        try (SseClient stream = new SseClient(url, integrator, null)) {
            assertThat(stream.status).isEqualTo(200);
            take(stream, 21, received);
            for (int i = 21; i <= 30; i++) {
                send(alice, group, "s-" + i, "m" + i);
            }
            take(stream, 10, received);
        }
        // ten are sent while it is away, and it reconnects with the last id it saw; five more arrive live
        for (int i = 31; i <= 40; i++) {
            send(alice, group, "s-" + i, "m" + i);
        }
        try (SseClient stream =
                new SseClient(url, integrator, received.get(received.size() - 1).id())) {
            take(stream, 10, received);
            for (int i = 41; i <= 45; i++) {
                send(alice, group, "s-" + i, "m" + i);
            }
            take(stream, 5, received);
            assertThat(stream.events.poll(500, TimeUnit.MILLISECONDS)).isNull();
        }

        // then seq 1..46 arrived once each, in order, with the event's position as the SSE id, each valid
        List<JsonNode> events = new ArrayList<>();
        for (SseClient.Event event : received) {
            JsonNode json = JSON.readTree(event.data());
            assertThat(json.get("position").asText()).isEqualTo(event.id());
            assertValid(json);
            events.add(json);
        }
        assertThat(events.stream().map(e -> e.get("seq").asLong()))
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 46).boxed().toList());
        assertThat(events.stream().map(e -> e.get("position").asText()).toList())
                .isEqualTo(pollAll("groupId=" + group, 100, 46).stream()
                        .map(e -> e.get("position").asText())
                        .toList());
    }

    @Test
    void badParametersAre400NamingTheFieldAndTheStreamNeedsTheIntegratorScope() throws IOException {
        // then
        assertBadField("/api/events?after=bogus", "after");
        assertBadField("/api/events?after=c.-1.5", "after");
        assertBadField("/api/events?after=c.99999999999999999999.1", "after");
        assertBadField("/api/events?limit=0", "limit");
        assertBadField("/api/events?limit=1001", "limit");
        assertBadField("/api/events?limit=ten", "limit");
        assertBadField("/api/events?wait=31", "wait");
        assertBadField("/api/events?groupId=no%20spaces", "groupId");
        assertBadField("/api/events?type=MessageSent,Nope", "type");
        assertBadField("/api/events/stream?after=bogus", "after");
        // a position of the other kind of store (Axon Server's) is refused here, not handed to PostgreSQL's reader
        assertBadField("/api/events?after=g.1", "after");
        assertBadField("/api/events/stream?after=g.1", "after");
        assertThat(api.call("GET", "/api/events", null, null).status()).isEqualTo(401);
        assertThat(api.call("GET", "/api/events", alice, null).status()).isEqualTo(403);
        assertThat(api.call("GET", "/api/events/stream", alice, null).status()).isEqualTo(403);
        for (String lastEventId : List.of("not-a-position", "g.5")) {
            try (SseClient stream =
                    new SseClient("http://localhost:" + port + "/api/events/stream", integrator, lastEventId)) {
                assertThat(stream.status).as(lastEventId).isEqualTo(400);
            }
        }
        // the schemas are public
        assertThat(api.call("GET", "/api/events/schemas", null, null).body())
                .hasSize(EventTypes.all().size());
        assertThat(api.call("GET", "/api/events/schemas/Nope.v1.schema.json", null, null)
                        .status())
                .isEqualTo(404);
    }

    @Test
    void theExampleIntegratorResumesAfterAKillWithEveryEventOnce(@TempDir Path dir) throws Exception {
        // given a group with 30 messages and the README's example integrator following it
        String group = "ev-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "Example");
        for (int i = 1; i <= 30; i++) {
            send(alice, group, "x-" + i, "m" + i);
        }
        Path file = dir.resolve("events.jsonl");
        Process tail = startExample(file, group, dir.resolve("run1.log"));
        await().atMost(Duration.ofSeconds(60)).until(() -> lines(file).size() >= 31);

        // when it is killed hard, more arrive, and it is started again
        tail.destroyForcibly().waitFor();
        for (int i = 31; i <= 50; i++) {
            send(alice, group, "x-" + i, "m" + i);
        }
        Process again = startExample(file, group, dir.resolve("run2.log"));
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> lines(file).size() >= 51);
            for (int i = 51; i <= 55; i++) {
                send(alice, group, "x-" + i, "m" + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> lines(file).size() >= 56);
        } finally {
            again.destroyForcibly().waitFor();
        }

        // then every event is in the file once, in order
        List<Long> seqs = new ArrayList<>();
        for (String line : lines(file)) {
            seqs.add(JSON.readTree(line).get("seq").asLong());
        }
        assertThat(seqs)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 56).boxed().toList());
        assertThat(Files.readString(dir.resolve("run2.log"))).contains("resuming after");
    }

    private Process startExample(Path file, String group, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path source = Path.of("..", "examples", "integrator", "EventTail.java");
        assertThat(source).exists();
        return new ProcessBuilder(
                        java, source.toString(), "http://localhost:" + port, integrator, file.toString(), group)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file)
                ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList()
                : List.of();
    }

    private long send(String token, String group, String clientMessageId, String text) {
        Response sent = api.post(
                token, "/api/groups/" + group + "/messages", Map.of("clientMessageId", clientMessageId, "text", text));
        assertThat(sent.status())
                .as("send %s: %s", clientMessageId, sent.body())
                .isEqualTo(201);
        return sent.body().get("seq").asLong();
    }

    /** Polls {@code limit} at a time until {@code expected} events have come, then checks nothing more comes. */
    private List<JsonNode> pollAll(String filter, int limit, int expected) {
        List<JsonNode> events = new ArrayList<>();
        String[] after = {null};
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Response page = api.call(
                    "GET",
                    "/api/events?" + filter + "&limit=" + limit + (after[0] == null ? "" : "&after=" + after[0]),
                    integrator,
                    null);
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body().get("events").size()).isLessThanOrEqualTo(limit);
            page.body().get("events").forEach(events::add);
            after[0] = page.body().get("next").asText();
            return events.size() >= expected;
        });
        assertThat(api.call("GET", "/api/events?" + filter + "&after=" + after[0], integrator, null)
                        .body()
                        .get("events"))
                .isEmpty();
        return events;
    }

    private static void take(SseClient stream, int count, List<SseClient.Event> into) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            SseClient.Event event = stream.events.poll(20, TimeUnit.SECONDS);
            assertThat(event).as("event %d of %d", i + 1, count).isNotNull();
            into.add(event);
        }
    }

    private void assertBadField(String path, String field) {
        Response response = api.call("GET", path, integrator, null);
        assertThat(response.status()).as(path).isEqualTo(400);
        assertThat(response.contentType()).startsWith("application/problem+json");
        assertThat(response.errorFields()).as(path).containsExactly(field);
    }

    private void assertValid(JsonNode event) {
        Set<String> errors = new HashSet<>();
        schema("Event.schema.json").validate(event).forEach(m -> errors.add(m.getMessage()));
        String file = event.get("type").asText() + ".v" + event.get("revision").asText() + ".schema.json";
        schema(file).validate(event.get("payload")).forEach(m -> errors.add(m.getMessage()));
        assertThat(errors).as("%s", event).isEmpty();
    }

    private JsonSchema schema(String file) {
        return schemas.computeIfAbsent(file, name -> {
            Response response = api.call("GET", "/api/events/schemas/" + name, null, null);
            assertThat(response.status()).as(name).isEqualTo(200);
            return SCHEMAS.getSchema(response.body(), STRICT);
        });
    }
}
