package io.chorus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chorus.app.ChorusApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts the whole Chorus app in this JVM for a benchmark, on embedded servers unless told otherwise. */
public final class BenchContext {

    private BenchContext() {}

    public static ConfigurableApplicationContext start(String... extra) {
        List<String> args = new ArrayList<>(List.of("--server.port=0"));
        args.addAll(appArgs());
        args.addAll(List.of(extra));
        return SpringApplication.run(ChorusApplication.class, args.toArray(String[]::new));
    }

    /**
     * What every benchmark starts Chorus with: embedded servers in a fresh directory, development tokens, quiet logs,
     * and no per-user send limit (a benchmark's few users send far more than a person).
     */
    public static List<String> appArgs() {
        return List.of(
                "--chorus.embedded.ephemeral=true",
                "--chorus.security.dev-tokens=true",
                "--chorus.security.jwt.secret=benchmark-secret-of-at-least-32-bytes!",
                "--chorus.rate-limit.enabled=false",
                "--logging.level.root=WARN",
                "--logging.level.io.chorus=INFO",
                "--spring.main.banner-mode=off");
    }

    /** A development token for the user from the app at {@code base} (e.g. {@code http://localhost:8080}). */
    public static String devToken(String base, String userId, String... scopes) throws Exception {
        String scopeList = scopes.length == 0 ? "" : ",\"scopes\":[\"" + String.join("\",\"", scopes) + "\"]";
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/dev/tokens"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"" + userId + "\"" + scopeList + "}"))
                .build();
        String body = HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.ofString())
                .body();
        return new ObjectMapper().readTree(body).get("token").asText();
    }

    /** A one-line description of where a figure was measured. */
    public static String machine() {
        Runtime runtime = Runtime.getRuntime();
        return String.format(
                "%d cores, %d GiB heap max, Java %s, %s",
                runtime.availableProcessors(),
                runtime.maxMemory() >> 30,
                System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    }
}
