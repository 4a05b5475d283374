package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The all-in-one app as a real process on its embedded servers: killed with {@code kill -9}, it leaves its
 * PostgreSQL and Redis running; the next start stops that orphan and starts on the same data; a normal stop stops the
 * servers it started.
 */
class CrashRestartIT {

    private static final Pattern STARTED = Pattern.compile("Started ChorusApplication");
    private static final Pattern PORT = Pattern.compile("Tomcat started on port (\\d+)");

    record Running(Process process, List<String> output) {

        int port() {
            for (String line : output) {
                Matcher m = PORT.matcher(line);
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
            throw new IllegalStateException("no port in the output");
        }
    }

    private static Running start(Path dataDir) throws IOException {
        Process process = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        ChorusApplication.class.getName(),
                        "--server.port=0",
                        "--chorus.embedded.data-dir=" + dataDir,
                        "--chorus.security.dev-tokens=true")
                .redirectErrorStream(true)
                .start();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        await().atMost(Duration.ofSeconds(90))
                .until(() -> output.stream().anyMatch(l -> STARTED.matcher(l).find()) || !process.isAlive());
        assertThat(process.isAlive())
                .as("app started; output:%n%s", String.join("\n", output))
                .isTrue();
        return new Running(process, output);
    }

    private static long postmasterPid(Path dataDir) throws IOException {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postgres/postmaster.pid"))
                .get(0)
                .trim());
    }

    @Test
    void killNineThenRestartOnTheSameDataThenAStopThatStopsTheServers(@TempDir Path dataDir) throws Exception {
        // given a running app that has stored something
        dataDir.toFile().setWritable(true, false);
        Running first = start(dataDir);
        Api api = new Api(first.port());
        String token = api.token("alice");
        assertThat(api.post(token, "/api/groups", Map.of("groupId", "kept", "name", "k", "visibility", "open"))
                        .status())
                .isEqualTo(201);
        long orphan = postmasterPid(dataDir);
        long redisOrphan = Long.parseLong(
                Files.readAllLines(dataDir.resolve("redis/redis.pid")).get(0).trim());

        // when it is killed outright, its PostgreSQL stays behind
        first.process().destroyForcibly().waitFor();
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive)).contains(true);

        // then the next start stops the orphan and serves the same data
        Running second = start(dataDir);
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false))
                .isFalse();
        Api again = new Api(second.port());
        assertThat(again.post(again.token("alice"), "/api/groups/kept/join", null)
                        .status())
                .isEqualTo(200);
        long postgres = postmasterPid(dataDir);

        // and a normal stop stops the servers it started
        second.process().destroy();
        second.process().waitFor();
        await().atMost(Duration.ofSeconds(30))
                .until(() ->
                        !ProcessHandle.of(postgres).map(ProcessHandle::isAlive).orElse(false));
    }
}
