package io.chorus.app.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import redis.embedded.RedisServer;

/**
 * Redis is a cache: this test owns its Redis server, flushes it and stops it. Reads keep the same answer from
 * PostgreSQL meanwhile, and the window is rebuilt once Redis is back, including what was sent while it was away.
 */
@ChorusIT
class RedisOutageIT {

    static final int PORT = freePort();
    static RedisServer redis = start();

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", () -> "127.0.0.1");
        registry.add("spring.data.redis.port", () -> PORT);
    }

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
        api.post(alice, "/api/groups", Map.of("groupId", group, "name", "O", "visibility", "open"));
        send(0, 30);
    }

    @AfterAll
    static void stop() throws IOException {
        redis.stop();
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
    void aFlushedWindowIsServedFromPostgresAndRefilled() {
        await().until(() -> "redis".equals(newest().header("Chorus-Read-From")));
        JsonNode before = newest().body();
        assertThat(before.get("messages")).hasSize(20);

        redisson.getKeys().flushall();

        Api.Response cold = newest();
        assertThat(cold.header("Chorus-Read-From")).isEqualTo("postgres");
        assertThat(cold.body()).isEqualTo(before);
        awaitFromRedis(before);
    }

    @Test
    void historyIsServedFromPostgresWhileRedisIsDownAndTheWindowIsRebuiltWhenItReturns() throws IOException {
        await().until(() -> "redis".equals(newest().header("Chorus-Read-From")));

        redis.stop();
        try {
            // sends do not need Redis; reads answer from PostgreSQL, complete and current
            send(30, 45);
            Api.Response down = newest();
            assertThat(down.header("Chorus-Read-From")).isEqualTo("postgres");
            assertThat(down.body().get("messages").get(19).get("text").asText()).isEqualTo("message 44");
        } finally {
            redis = start();
        }
        JsonNode expected = newest().body();
        awaitFromRedis(expected);
        // and the window goes on with the live stream
        send(45, 50);
        awaitFromRedis(api.call("GET", "/api/groups/" + group + "/messages?limit=20", alice, null)
                .body());
        assertThat(newest().body().get("messages").get(19).get("text").asText()).isEqualTo("message 49");
    }

    private static RedisServer start() {
        try {
            RedisServer server = RedisServer.newRedisServer()
                    .port(PORT)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .build();
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
