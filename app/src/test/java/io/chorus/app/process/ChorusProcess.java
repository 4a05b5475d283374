package io.chorus.app.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.app.Api;
import io.chorus.app.TestRedis;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Chorus as a real process started from the app's jar ({@code java -jar chorus-app.jar}, built by the package phase
 * before the integration tests), on a PostgreSQL and the tests' Redis shared with the other processes of a test.
 * {@code main} picks an entry point other than the all-in-one app (PropertiesLauncher's {@code LOADER_MAIN}).
 */
public record ChorusProcess(String name, Process process, int port, Api api) {

    public static final String SECRET = "process-test-secret-of-at-least-32-bytes";
    /** A dead node's segments are free after 5 s, and survivors look for free ones every second. */
    public static final String[] FAST_FAILOVER = {
        "--axon.eventhandling.tokenstore.claim-timeout=5s",
        "--axon.eventhandling.processors.history-a.token-claim-interval=1000",
        "--axon.eventhandling.processors.history-b.token-claim-interval=1000",
        "--axon.eventhandling.processors.recent-a.token-claim-interval=1000",
        "--axon.eventhandling.processors.recent-b.token-claim-interval=1000"
    };

    private static final Path JAR = Path.of("target", "chorus-app.jar");

    public long pid() {
        return process.pid();
    }

    /** Starts the process and returns once its health is UP. */
    public static ChorusProcess start(String name, String main, EmbeddedPostgres postgres, String... settings)
            throws IOException {
        ChorusProcess started = launch(name, main, postgres, settings);
        started.awaitReady();
        return started;
    }

    /** Starts the process without waiting for it. */
    public static ChorusProcess launch(String name, String main, EmbeddedPostgres postgres, String... settings)
            throws IOException {
        assertThat(JAR)
                .as("the app's jar (built by the package phase before the integration tests)")
                .exists();
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(
                java,
                "-Xmx384m",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                JAR.toString(),
                "--server.port=" + port,
                "--spring.datasource.url=" + postgres.getJdbcUrl("postgres", "postgres"),
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=",
                "--spring.datasource.hikari.maximum-pool-size=10",
                "--spring.data.redis.host=127.0.0.1",
                "--spring.data.redis.port=" + TestRedis.port(),
                "--chorus.security.dev-tokens=true",
                "--chorus.security.jwt.secret=" + SECRET,
                "--chorus.rate-limit.enabled=false"));
        command.addAll(List.of(settings));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(new File("target/process-" + name + ".log"));
        if (main != null) {
            builder.environment().put("LOADER_MAIN", main);
        }
        return new ChorusProcess(name, builder.start(), port, new Api(port));
    }

    public void awaitReady() {
        await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    assertThat(process.isAlive())
                            .as("%s is running (see target/process-%s.log)", name, name)
                            .isTrue();
                    try {
                        return api.call("GET", "/actuator/health", null, null).status() == 200;
                    } catch (UncheckedIOException e) {
                        return false;
                    }
                });
    }

    /** Writes the process's threads to {@code target/process-<name>.threads} (jcmd), to see where a stuck node waits. */
    public Path dumpThreads() throws IOException, InterruptedException {
        Path dump = Path.of("target", "process-" + name + ".threads");
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "Thread.print")
                .redirectErrorStream(true)
                .redirectOutput(dump.toFile())
                .start()
                .waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        return dump;
    }

    /** Kills the process (SIGKILL) and waits for it to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }
}
