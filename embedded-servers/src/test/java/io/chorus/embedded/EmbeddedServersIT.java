package io.chorus.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

class EmbeddedServersIT {

    @SpringBootApplication
    static class Empty {}

    private static ConfigurableApplicationContext start(String... args) {
        SpringApplication app = new SpringApplication(Empty.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        return app.run(args);
    }

    @Test
    void startsDurablePostgresAndRedisThatKeepDataAcrossRestartsAndStopWithTheContext(@TempDir Path dir)
            throws Exception {
        // given
        dir.toFile().setWritable(true, false);
        String dataDir = "--chorus.embedded.data-dir=" + dir;
        String url;
        try (ConfigurableApplicationContext context = start(dataDir)) {
            Environment env = context.getEnvironment();
            url = env.getProperty("spring.datasource.url");
            int redisPort = env.getProperty("spring.data.redis.port", Integer.class);

            // when
            try (Connection c = DriverManager.getConnection(url, "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("create table kept(v text)");
                s.execute("insert into kept values ('survives')");
                // then durability settings are on
                assertThat(show(s, "fsync")).isEqualTo("on");
                assertThat(show(s, "synchronous_commit")).isEqualTo("on");
                assertThat(show(s, "full_page_writes")).isEqualTo("on");
            }
            assertThat(redisCommand(redisPort, "PING")).isEqualTo("+PONG");
        }

        // then the servers are gone with the context
        assertThat(canConnect(url)).isFalse();

        // and a restart on the same directory sees the data
        try (ConfigurableApplicationContext context = start(dataDir);
                Connection c = DriverManager.getConnection(
                        context.getEnvironment().getProperty("spring.datasource.url"), "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select v from kept")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("survives");
        }
    }

    @Test
    void configuredServersAreUsedAndNothingIsStarted() {
        try (ConfigurableApplicationContext context = start(
                "--spring.datasource.url=jdbc:postgresql://db.example:5432/chorus",
                "--spring.data.redis.host=redis.example")) {
            assertThat(context.getEnvironment().getProperty("spring.datasource.url"))
                    .isEqualTo("jdbc:postgresql://db.example:5432/chorus");
            assertThat(context.getEnvironment().getProperty("chorus.embedded.active"))
                    .isNull();
        }
    }

    @Test
    void anOrphanedServerFromAKilledRunIsStoppedBeforeTheNextStart(@TempDir Path dir) throws Exception {
        // given a process that looks like a server left behind, with its pid file
        Process orphan = new ProcessBuilder("sleep", "300").start();
        await().until(() -> orphan.info().command().orElse("").contains("sleep"));
        Path pidFile = dir.resolve("redis.pid");
        Files.writeString(pidFile, orphan.pid() + "\n");

        // when
        EmbeddedServers.stopOrphan(pidFile, "sleep");

        // then
        assertThat(orphan.isAlive()).isFalse();
        assertThat(pidFile).doesNotExist();
    }

    private static String show(Statement s, String setting) throws Exception {
        try (ResultSet rs = s.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean canConnect(String url) {
        try (Connection ignored = DriverManager.getConnection(url, "postgres", "")) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String redisCommand(int port, String command) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
        }
    }
}
