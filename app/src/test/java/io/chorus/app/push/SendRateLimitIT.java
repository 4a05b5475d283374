package io.chorus.app.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import io.chorus.app.push.StompClient.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

/** The per-user send limit, one bucket in Redis for REST and STOMP sends alike. */
@ChorusIT
@TestPropertySource(properties = {"chorus.rate-limit.sends.per-second=1", "chorus.rate-limit.sends.burst=5"})
class SendRateLimitIT {

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
}
