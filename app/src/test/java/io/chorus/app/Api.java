package io.chorus.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A small HTTP client for the REST API as an outside caller sees it: real sockets, real JSON, real tokens. */
public final class Api {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;

    public Api(int port) {
        this.base = "http://localhost:" + port;
    }

    public record Response(
            int status, JsonNode body, String contentType, String location, java.util.Map<String, String> headers) {

        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        public String detail() {
            return body.path("detail").asText();
        }

        public List<String> errorFields() {
            return body.path("errors").findValuesAsText("field");
        }
    }

    public String token(String userId, String... scopes) {
        Response response = call("POST", "/api/dev/tokens", null, Map.of("userId", userId, "scopes", List.of(scopes)));
        return response.body().get("token").asText();
    }

    /** Creates an open group owned by the token's user; fails unless it was created (201). */
    public void createOpenGroup(String token, String groupId, String name) {
        Response created = post(token, "/api/groups", Map.of("groupId", groupId, "name", name, "visibility", "open"));
        if (created.status() != 201) {
            throw new IllegalStateException(
                    "creating group " + groupId + " answered " + created.status() + ": " + created.body());
        }
    }

    /** What the integrator stream holds: its events (matching {@code filter}, e.g. {@code groupId=g}) and where it ends. */
    public record Events(List<JsonNode> events, String next) {}

    /** Reads the integrator stream from its first event to its end, a thousand at a time. */
    public Events events(String integratorToken, String filter) {
        List<JsonNode> events = new ArrayList<>();
        String after = null;
        while (true) {
            Response page = call(
                    "GET",
                    "/api/events?limit=1000" + (filter.isEmpty() ? "" : "&" + filter)
                            + (after == null ? "" : "&after=" + after),
                    integratorToken,
                    null);
            if (page.status() != 200) {
                throw new IllegalStateException("the event stream answered " + page.status() + ": " + page.body());
            }
            if (page.body().get("events").isEmpty()) {
                return new Events(events, after);
            }
            page.body().get("events").forEach(events::add);
            after = page.body().get("next").asText();
        }
    }

    public Response post(String token, String path, Object body) {
        return call("POST", path, token, body);
    }

    public Response put(String token, String path, Object body) {
        return call("PUT", path, token, body);
    }

    public Response patch(String token, String path, Object body) {
        return call("PATCH", path, token, body);
    }

    public Response delete(String token, String path) {
        return call("DELETE", path, token, null);
    }

    public Response call(String method, String path, String token, Object body) {
        try {
            String raw = body == null ? "" : body instanceof String s ? s : JSON.writeValueAsString(body);
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                    .method(method, HttpRequest.BodyPublishers.ofString(raw))
                    .header("Content-Type", "application/json")
                    // a node that hangs (its database restarting) answers nothing; a caller must get its turn back
                    .timeout(java.time.Duration.ofSeconds(60));
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
            java.util.Map<String, String> headers = new java.util.HashMap<>();
            response.headers()
                    .map()
                    .forEach((name, values) -> headers.put(name.toLowerCase(java.util.Locale.ROOT), values.get(0)));
            return new Response(
                    response.statusCode(),
                    json,
                    response.headers().firstValue("Content-Type").orElse(""),
                    response.headers().firstValue("Location").orElse(null),
                    headers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
