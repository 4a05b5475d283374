package io.chorus.app.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chorus.app.Api;
import io.chorus.app.ChorusApplication;
import io.chorus.app.ChorusIT;
import io.chorus.app.TestRedis;
import io.chorus.app.push.StompClient.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.TestPropertySource;

/**
 * The per-user limits: one bucket in Redis for REST and STOMP sends alike, and buckets of their own for edits,
 * deletes, read markers, group creations and membership changes (those refill once per 100 s here, so that a test
 * sees only its burst).
 */
@ChorusIT
@TestPropertySource(
        properties = {
            "chorus.rate-limit.sends.per-second=1",
            "chorus.rate-limit.sends.burst=5",
            "chorus.rate-limit.edits.per-second=0.01",
            "chorus.rate-limit.edits.burst=2",
            "chorus.rate-limit.deletes.per-second=0.01",
            "chorus.rate-limit.deletes.burst=1",
            "chorus.rate-limit.read-markers.per-second=0.01",
            "chorus.rate-limit.read-markers.burst=2",
            "chorus.rate-limit.group-creates.per-second=0.01",
            "chorus.rate-limit.group-creates.burst=2",
            "chorus.rate-limit.member-changes.per-second=0.01",
            "chorus.rate-limit.member-changes.burst=2"
        })
class RateLimitIT {

    @LocalServerPort
    int port;

    @Autowired
    RedissonClient redisson;

    @Test
    void sendsPastTheBurstAreRefusedWithRetryAfterOverRestAndStompAndStoreNothing() throws Exception {
        // given
        Api api = new Api(port);
        String user = "dave-" + UUID.randomUUID().toString().substring(0, 6);
        String token = api.token(user);
        String group = "rate-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(token, group, "R");

        // when the burst is spent over REST
        for (int i = 0; i < 5; i++) {
            assertThat(api.post(
                                    token,
                                    "/api/groups/" + group + "/messages",
                                    Map.of("clientMessageId", "m" + i, "text", "t"))
                            .status())
                    .isEqualTo(201);
        }
        Api.Response refused =
                api.post(token, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "m5", "text", "t"));

        // then a problem detail with Retry-After
        assertThat(refused.status()).isEqualTo(429);
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 2L);
        assertThat(refused.detail()).contains("too many sends");

        // and the same bucket holds for STOMP sends
        try (StompClient stomp = new StompClient(port)) {
            Connection connection = stomp.connect(token);
            connection.subscribeAcks();
            connection.send(group, "s1", "over stomp");
            await().atMost(Duration.ofSeconds(10)).until(() -> !connection.acks.isEmpty());
            assertThat(connection.acks.get(0).at("/error/status").asInt()).isEqualTo(429);
            assertThat(connection.acks.get(0).get("retryAfter").asLong()).isPositive();
            assertThat(connection.connected()).isTrue();
        }
        // nothing refused was stored, the bucket lives in Redis, and another user is not limited
        assertThat(api.call("GET", "/api/groups/" + group + "/messages", token, null)
                        .body()
                        .get("messages"))
                .hasSize(5);
        assertThat(redisson.getKeys().countExists("chorus:rate:send:" + user)).isEqualTo(1);
        String other = api.token("erin-" + UUID.randomUUID().toString().substring(0, 6));
        api.post(other, "/api/groups/" + group + "/join", null);
        assertThat(api.post(other, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "e", "text", "t"))
                        .status())
                .isEqualTo(201);

        // after the refill, the user sends again
        await().atMost(Duration.ofSeconds(5))
                .until(() -> api.post(
                                        token,
                                        "/api/groups/" + group + "/messages",
                                        Map.of("clientMessageId", "later", "text", "t"))
                                .status()
                        == 201);
    }

    @Test
    void everyAnswerCarriesTheCallersStandingWithTheLimit() {
        Api api = new Api(port);
        String user = "hal-" + UUID.randomUUID().toString().substring(0, 6);
        String token = api.token(user);
        String group = "std-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(token, group, "S");

        Api.Response first =
                api.post(token, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "h1", "text", "t"));

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header("X-RateLimit-Limit")).isEqualTo("5");
        assertThat(first.header("X-RateLimit-Remaining")).isEqualTo("4");
        // seconds until the bucket is full again: one token at one per second
        assertThat(Long.parseLong(first.header("X-RateLimit-Reset"))).isBetween(1L, 2L);
        // and reads, which are not limited, carry none
        assertThat(api.call("GET", "/api/groups/" + group + "/messages", token, null)
                        .header("X-RateLimit-Limit"))
                .isNull();
    }

    @Test
    void editsDeletesReadMarkersGroupCreationsAndMembershipChangesHaveBucketsOfTheirOwn() {
        Api api = new Api(port);
        String user = "ivy-" + UUID.randomUUID().toString().substring(0, 6);
        String token = api.token(user);
        String group = "own-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(token, group, "O");
        String messages = "/api/groups/" + group + "/messages";
        assertThat(api.post(token, messages, Map.of("clientMessageId", "a", "text", "a"))
                        .status())
                .isEqualTo(201);
        assertThat(api.post(token, messages, Map.of("clientMessageId", "b", "text", "b"))
                        .status())
                .isEqualTo(201);

        // edits: two, then refused, and the refused one changes nothing
        assertThat(api.patch(token, messages + "/3", Map.of("text", "edit 1")).status())
                .isEqualTo(200);
        assertThat(api.patch(token, messages + "/3", Map.of("text", "edit 2")).status())
                .isEqualTo(200);
        assertRefused(api.patch(token, messages + "/3", Map.of("text", "edit 3")), "too many edits");

        // deletes: one, then refused
        assertThat(api.delete(token, messages + "/2").status()).isEqualTo(200);
        assertRefused(api.delete(token, messages + "/3"), "too many deletes");

        // read markers: two, then refused
        assertThat(api.post(token, "/api/groups/" + group + "/read", Map.of("seq", 2))
                        .status())
                .isEqualTo(200);
        assertThat(api.post(token, "/api/groups/" + group + "/read", Map.of("seq", 3))
                        .status())
                .isEqualTo(200);
        assertRefused(api.post(token, "/api/groups/" + group + "/read", Map.of("seq", 3)), "too many read markers");

        // group creations: the group above and one more, then refused, and the refused group does not exist
        String second = "own2-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(token, second, "O2");
        String third = "own3-" + UUID.randomUUID().toString().substring(0, 8);
        assertRefused(
                api.post(token, "/api/groups", Map.of("groupId", third, "name", "O3", "visibility", "open")),
                "too many group creations");

        // membership changes: a leave the group refuses (the last owner) spends one too, an add the other, then a
        // removal is refused and the member stays
        assertThat(api.post(token, "/api/groups/" + second + "/leave", null).status())
                .isEqualTo(409);
        String member = "x-" + user;
        assertThat(api.post(token, "/api/groups/" + group + "/members", Map.of("userId", member))
                        .status())
                .isEqualTo(200);
        assertRefused(api.delete(token, "/api/groups/" + group + "/members/" + member), "too many membership changes");
        assertThat(api.call("GET", "/api/groups/" + group, token, null)
                        .body()
                        .get("members")
                        .toString())
                .contains(member);

        // none of it spent the sends' bucket, and the refused calls stored nothing
        Api.Response send = api.post(token, messages, Map.of("clientMessageId", "c", "text", "c"));
        assertThat(send.status()).isEqualTo(201);
        assertThat(Long.parseLong(send.header("X-RateLimit-Remaining"))).isGreaterThanOrEqualTo(2);
        JsonNode page = api.call("GET", messages, token, null).body().get("messages");
        assertThat(page.get(0).get("deleted").asBoolean()).isTrue();
        assertThat(page.get(1).get("text").asText()).isEqualTo("edit 2");
        assertThat(page.get(1).get("deleted").asBoolean()).isFalse();
        assertThat(api.call("GET", "/api/groups/" + third, token, null).status())
                .isEqualTo(404);
        for (String action : List.of("edit", "delete", "read", "create", "members")) {
            assertThat(redisson.getKeys().countExists("chorus:rate:" + action + ":" + user))
                    .isEqualTo(1);
        }
    }

    private static void assertRefused(Api.Response refused, String detail) {
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.detail()).contains(detail);
        assertThat(Long.parseLong(refused.header("Retry-After"))).isPositive();
        assertThat(refused.header("X-RateLimit-Remaining")).isEqualTo("0");
    }

    @Test
    void aFloodThroughTwoNodesIsHeldByOneBucket() throws Exception {
        // given a second node with the same limit, on the same PostgreSQL and Redis
        try (ConfigurableApplicationContext second = new SpringApplicationBuilder(ChorusApplication.class)
                .profiles("it")
                .initializers(new TestRedis.Initializer())
                .run(
                        "--server.port=0",
                        "--chorus.rate-limit.sends.per-second=1",
                        "--chorus.rate-limit.sends.burst=5")) {
            Api a = new Api(port);
            Api b = new Api(Integer.parseInt(second.getEnvironment().getProperty("local.server.port")));
            String user = "flood-" + UUID.randomUUID().toString().substring(0, 6);
            String token = a.token(user);
            String group = "flood-" + UUID.randomUUID().toString().substring(0, 8);
            a.createOpenGroup(token, group, "F");

            // when the user floods both nodes at once, 15 sends each
            long start = System.nanoTime();
            ExecutorService flood = Executors.newFixedThreadPool(2);
            List<Future<List<Api.Response>>> nodes = new ArrayList<>();
            for (Api node : List.of(a, b)) {
                nodes.add(flood.submit(() -> {
                    List<Api.Response> answers = new ArrayList<>();
                    for (int i = 0; i < 15; i++) {
                        answers.add(node.post(
                                token,
                                "/api/groups/" + group + "/messages",
                                Map.of("clientMessageId", UUID.randomUUID().toString(), "text", "flood")));
                    }
                    return answers;
                }));
            }
            List<Api.Response> answers = new ArrayList<>();
            for (Future<List<Api.Response>> node : nodes) {
                answers.addAll(node.get(60, TimeUnit.SECONDS));
            }
            flood.shutdown();
            double seconds = (System.nanoTime() - start) / 1e9;

            // then one bucket held for both: the burst plus the refill over the flood's time, not twice that
            long accepted = answers.stream().filter(r -> r.status() == 201).count();
            assertThat(answers).allSatisfy(r -> assertThat(r.status()).isIn(201, 429));
            assertThat(accepted).isBetween(5L, 5L + (long) Math.ceil(seconds) + 1);
            assertThat(answers.stream().filter(r -> r.status() == 429))
                    .allSatisfy(r -> assertThat(r.header("Retry-After")).isNotNull());
            // and only what was accepted is stored
            assertThat(a.call("GET", "/api/groups/" + group + "/messages?limit=100", token, null)
                            .body()
                            .get("messages"))
                    .hasSize((int) accepted);
        }
    }
}
