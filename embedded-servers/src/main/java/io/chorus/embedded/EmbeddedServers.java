package io.chorus.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import redis.embedded.RedisServer;

/**
 * A real PostgreSQL and a real Redis run as child processes of this JVM, shared by every Spring context of the
 * JVM (tests start many) and stopped when the last context using them closes, or at JVM exit.
 *
 * <p>A previous run killed with {@code kill -9} leaves its servers running: their pid files in the data
 * directory identify them, and they are stopped before the new ones start, so a crash never blocks a restart.
 */
public final class EmbeddedServers {

    /** Spring Boot's deferred log while the logging system starts up, so these lines are not lost. */
    private static Log log = LogFactory.getLog(EmbeddedServers.class);

    private static EmbeddedPostgres postgres;
    private static RedisServer redis;
    private static int redisPort;
    private static int users;
    private static boolean hooked;

    private EmbeddedServers() {}

    static synchronized void useLog(Log deferred) {
        log = deferred;
    }

    /** JDBC URL of the running embedded Postgres, starting it on first use. */
    static synchronized String postgresJdbcUrl(Path dataDir) {
        if (postgres == null) {
            postgres = startPostgres(dataDir.resolve("postgres"));
            stopAtExit();
        }
        return postgres.getJdbcUrl("postgres", "postgres");
    }

    /** Port of the running embedded Redis, starting it on first use. */
    static synchronized int redisPort(Path dataDir) {
        if (redis == null) {
            redisPort = freePort();
            redis = startRedis(dataDir.resolve("redis"), redisPort);
            stopAtExit();
        }
        return redisPort;
    }

    /**
     * The safety net at JVM exit. Shutdown hooks run concurrently, and Spring closes its contexts in one of its
     * own: give the contexts time to release the servers (their processors still write while they stop), then
     * stop whatever is left.
     */
    private static void stopAtExit() {
        if (!hooked) {
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                awaitRelease(Duration.ofSeconds(30));
                                stopAll();
                            },
                            "chorus-embedded-stop"));
            hooked = true;
        }
    }

    private static synchronized void awaitRelease(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (users > 0) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return;
                }
                EmbeddedServers.class.wait(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static synchronized void acquire() {
        users++;
    }

    /** Stops the servers once no Spring context uses them any more. */
    static synchronized void release() {
        users--;
        if (users <= 0) {
            stopAll();
        }
        EmbeddedServers.class.notifyAll();
    }

    static synchronized void stopAll() {
        if (postgres != null) {
            try {
                postgres.close();
                log.info("Embedded PostgreSQL stopped");
            } catch (IOException e) {
                log.warn("Embedded PostgreSQL did not stop cleanly", e);
            }
            postgres = null;
        }
        if (redis != null) {
            try {
                redis.stop();
                log.info("Embedded Redis stopped");
            } catch (IOException e) {
                log.warn("Embedded Redis did not stop cleanly", e);
            }
            redis = null;
        }
    }

    private static EmbeddedPostgres startPostgres(Path dir) {
        try {
            Files.createDirectories(dir.getParent());
            stopOrphan(dir.resolve("postmaster.pid"), "postgres");
            long startedAt = System.nanoTime();
            EmbeddedPostgres started = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    // durable: an acknowledged send must survive a crash of the machine, not only of the JVM
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "300")
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
            log.info("Embedded PostgreSQL started on port " + started.getPort() + " with its data in " + dir + " ("
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt) + " ms)");
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not start in " + dir, e);
        }
    }

    private static RedisServer startRedis(Path dir, int port) {
        try {
            Files.createDirectories(dir);
            Path pidFile = dir.resolve("redis.pid");
            stopOrphan(pidFile, "redis");
            // Redis is a cache for Chorus: no persistence, so a restart starts cold and Postgres refills it
            RedisServer server = RedisServer.newRedisServer()
                    .port(port)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .setting("pidfile " + pidFile.toAbsolutePath())
                    .build();
            server.start();
            log.info("Embedded Redis started on port " + port);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("embedded Redis did not start", e);
        }
    }

    /** Stops a server left running by a previous JVM that was killed, found through its pid file. */
    static void stopOrphan(Path pidFile, String commandHint) throws IOException {
        if (!Files.exists(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile);
        Optional<ProcessHandle> process =
                lines.isEmpty() ? Optional.empty() : parsePid(lines.get(0)).flatMap(ProcessHandle::of);
        if (process.isPresent()
                && process.get().isAlive()
                && process.get().info().command().orElse("").contains(commandHint)) {
            ProcessHandle orphan = process.get();
            log.warn("Stopping " + commandHint + " (pid " + orphan.pid() + ") left running by a previous run");
            signal(orphan.pid(), "INT"); // Postgres: fast shutdown; Redis: shutdown
            if (!waitForExit(orphan, Duration.ofSeconds(30))) {
                orphan.destroyForcibly();
                waitForExit(orphan, Duration.ofSeconds(10));
            }
        }
        Files.deleteIfExists(pidFile);
    }

    private static Optional<Long> parsePid(String line) {
        try {
            return Optional.of(Long.parseLong(line.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void signal(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .inheritIO()
                    .start()
                    .waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean waitForExit(ProcessHandle process, Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return !process.isAlive();
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
