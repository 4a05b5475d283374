package io.chorus.app.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.app.Api;
import io.chorus.app.Api.Response;
import io.chorus.app.ChorusIT;
import io.chorus.app.TestRedis;
import io.chorus.app.push.StompClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Health, Prometheus metrics and the OpenAPI description, as operators and tools reach them over HTTP. (Spring Boot
 * tests leave metrics export off unless asked: hence the annotation.)
 */
@ChorusIT
@AutoConfigureObservability(tracing = false)
class OperationsIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    Api api;
    String admin;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        admin = api.token("ops", "chorus:admin");
    }

    @Test
    void healthShowsOnlyTheStatusToAnyoneAndEveryComponentToAdmins() {
        // when
        Response anonymous = api.call("GET", "/actuator/health", null, null);
        Response member = api.call("GET", "/actuator/health", api.token("alice"), null);
        Response detailed = api.call("GET", "/actuator/health", admin, null);

        // then
        assertThat(anonymous.status()).isEqualTo(200);
        assertThat(anonymous.body().get("status").asText()).isEqualTo("UP");
        assertThat(anonymous.body().has("components")).isFalse();
        assertThat(member.body().has("components")).isFalse();
        assertThat(detailed.body().get("components").fieldNames())
                .toIterable()
                .contains("db", "redis", "eventProcessors", "stompBroker");
        assertThat(detailed.body()
                        .at("/components/eventProcessors/details/history/status")
                        .asText())
                .isEqualTo("live");
        assertThat(detailed.body()
                        .at("/components/stompBroker/details/eventStreamFollower")
                        .asText())
                .isEqualTo("following");
        for (String component : List.of("db", "redis", "eventProcessors", "stompBroker")) {
            assertThat(detailed.body()
                            .at("/components/" + component + "/status")
                            .asText())
                    .as(component)
                    .isEqualTo("UP");
        }
    }

    @Test
    void healthIsDownWhileRedisIsAndUpAgainAfter() {
        try {
            // when
            TestRedis.stop();

            // then
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Response health = api.call("GET", "/actuator/health", admin, null);
                assertThat(health.status()).isEqualTo(503);
                assertThat(health.body().at("/components/redis/status").asText())
                        .isEqualTo("DOWN");
            });
        } finally {
            TestRedis.start();
        }
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(
                                api.call("GET", "/actuator/health", null, null).status())
                        .isEqualTo(200));
    }

    @Test
    void prometheusNeedsTheAdminScopeAndCountsCommandsAppendsProjectionsAndPushes() throws Exception {
        // given a subscriber, a handled send and a refused one
        String alice = api.token("alice");
        String group = "ops-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "Ops");
        double handledBefore = metric("chorus_commands_total", "command=\"SendMessageCommand\",outcome=\"handled\"");
        double failedBefore = metric("chorus_commands_total", "command=\"SendMessageCommand\",outcome=\"failed\"");
        double deliveriesBefore = metric("chorus_push_deliveries_total", "");
        double allocatedBefore = metric("chorus_jvm_allocated_bytes_total", "");
        try (StompClient stomp = new StompClient(port)) {
            StompClient.Connection connection = stomp.connect(alice);
            List<StompClient.Frame> frames = connection.subscribe(group, 0L);
            await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 1);
            assertThat(metric("chorus_push_sessions", "")).isGreaterThanOrEqualTo(1);

            assertThat(api.post(
                                    alice,
                                    "/api/groups/" + group + "/messages",
                                    Map.of("clientMessageId", "m-1", "text", "hi"))
                            .status())
                    .isEqualTo(201);
            assertThat(api.post(
                                    api.token("mallory"),
                                    "/api/groups/" + group + "/messages",
                                    Map.of("clientMessageId", "m-2", "text", "let me in"))
                            .status())
                    .isEqualTo(403);
            await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 2);

            // then
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(metric("chorus_commands_total", "command=\"SendMessageCommand\",outcome=\"handled\""))
                        .isEqualTo(handledBefore + 1);
                assertThat(metric("chorus_commands_total", "command=\"SendMessageCommand\",outcome=\"failed\""))
                        .isEqualTo(failedBefore + 1);
                assertThat(metric("chorus_push_deliveries_total", "")).isGreaterThanOrEqualTo(deliveriesBefore + 2);
            });
        }
        String scrape = scrape(admin).body();
        assertThat(scrape)
                .contains("chorus_events_append_seconds_count")
                .contains("chorus_events_held_back_seconds_count")
                .contains("chorus_push_latency_seconds_count")
                .contains("chorus_projection_lag{")
                .contains("projection=\"history\"")
                .contains("chorus_projection_dead_letters{")
                .contains("chorus_push_cutoffs_total");
        assertThat(metric("chorus_events_append_seconds_count", "")).isGreaterThan(0);
        assertThat(metric("chorus_push_latency_seconds_count", "")).isGreaterThan(0);
        // every allocation counts at once, not only at the next garbage collection
        assertThat(allocatedBefore).isGreaterThan(0);
        assertThat(metric("chorus_jvm_allocated_bytes_total", "")).isGreaterThan(allocatedBefore);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(metric("chorus_projection_lag", "projection=\"history\""))
                        .isZero());
        assertThat(scrape(null).statusCode()).isEqualTo(401);
        assertThat(scrape(alice).statusCode()).isEqualTo(403);
    }

    @Test
    void theOpenApiDescriptionListsTheRestApiWithBearerAuthAndItsUiIsServed() throws Exception {
        // when
        Response docs = api.call("GET", "/v3/api-docs", null, null);
        HttpResponse<String> ui = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/swagger-ui/index.html"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        // then
        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.body().get("paths").fieldNames())
                .toIterable()
                .contains(
                        "/api/groups",
                        "/api/groups/{groupId}/messages",
                        "/api/me/groups",
                        "/api/events",
                        "/api/events/stream",
                        "/api/admin/projections");
        assertThat(docs.body().at("/components/securitySchemes/bearer/scheme").asText())
                .isEqualTo("bearer");
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.body()).contains("swagger-ui");
    }

    private HttpResponse<String> scrape(String token) throws IOException, InterruptedException {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/prometheus"));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The sample of a meter whose labels contain {@code labels}; 0 when it has none yet. */
    private double metric(String name, String labels) throws IOException, InterruptedException {
        HttpResponse<String> scrape = scrape(admin);
        assertThat(scrape.statusCode()).isEqualTo(200);
        Matcher sample = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$")
                .matcher(scrape.body());
        while (sample.find()) {
            String found = sample.group(1) == null ? "" : sample.group(1);
            if (found.contains(labels)) {
                return Double.parseDouble(sample.group(2));
            }
        }
        return 0;
    }
}
