package io.chorus.app.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import io.chorus.app.TestRedis;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Redis is a cache: this test flushes the tests' Redis and stops it ({@link TestRedis}). Reads keep the same answer from
 * PostgreSQL meanwhile, and the window is rebuilt once Redis is back, including what was sent while it was away.
 */
@ChorusIT
class RedisOutageIT {

    @LocalServerPort
    int port;

    @Autowired
    RedissonClient redisson;

    Api api;
    String alice;
    String group;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        alice = api.token("alice");
        group = "o-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "O");
        send(0, 30);
    }

    private void send(int from, int to) {
        for (int i = from; i < to; i++) {
            assertThat(api.post(
                                    alice,
                                    "/api/groups/" + group + "/messages",
                                    Map.of("clientMessageId", "m-" + i, "text", "message " + i))
                            .status())
                    .isEqualTo(201);
        }
    }

    private Api.Response newest() {
        Api.Response response = api.call("GET", "/api/groups/" + group + "/messages?limit=20", alice, null);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Chorus-Stale")).isEqualTo("false");
        return response;
    }

    /** The newest page once Redis answers it, which must equal what PostgreSQL answered. */
    private void awaitFromRedis(JsonNode expected) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Api.Response page = newest();
            assertThat(page.header("Chorus-Read-From")).isEqualTo("redis");
            assertThat(page.body()).isEqualTo(expected);
        });
    }

    @Test
    void aFlushedWindowGivesTheSameAnswerAndIsRefilled() {
        await().until(() -> "redis".equals(newest().header("Chorus-Read-From")));
        JsonNode before = newest().body();
        assertThat(before.get("messages")).hasSize(20);

        redisson.getKeys().flushall();

        // from PostgreSQL while the window is cold — or already from Redis, when a refill that an earlier read of
        // the group asked for runs right after the flush: the answer is the same either way
        Api.Response cold = newest();
        assertThat(cold.body()).isEqualTo(before);
        awaitFromRedis(before);
        // the refilled window serves the whole page, older pages of it included
        Api.Response older = api.call(
                "GET",
                "/api/groups/" + group + "/messages?before="
                        + before.get("messages").get(0).get("seq").asLong() + "&limit=5",
                alice,
                null);
        assertThat(older.header("Chorus-Read-From")).isEqualTo("redis");
        assertThat(older.body().get("messages")).hasSize(5);
    }

    @Test
    void historyIsServedFromPostgresWhileRedisIsDownAndTheWindowIsRebuiltWhenItReturns() {
        await().until(() -> "redis".equals(newest().header("Chorus-Read-From")));

        TestRedis.stop();
        try {
            // sends do not need Redis; reads answer from PostgreSQL, complete and current
            send(30, 45);
            Api.Response down = newest();
            assertThat(down.header("Chorus-Read-From")).isEqualTo("postgres");
            assertThat(down.body().get("messages").get(19).get("text").asText()).isEqualTo("message 44");
        } finally {
            TestRedis.start();
        }
        JsonNode expected = newest().body();
        awaitFromRedis(expected);
        // and the window goes on with the live stream
        send(45, 50);
        awaitFromRedis(api.call("GET", "/api/groups/" + group + "/messages?limit=20", alice, null)
                .body());
        assertThat(newest().body().get("messages").get(19).get("text").asText()).isEqualTo("message 49");
    }
}
