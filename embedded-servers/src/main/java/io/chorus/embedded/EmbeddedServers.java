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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * A real PostgreSQL and a real Redis run as child processes of this JVM, shared by every Spring context of the
 * JVM (tests start many) and stopped when the last context using them closes, or at JVM exit.
 *
 * <p>A previous run killed with {@code kill -9} leaves its servers running: their pid files in the data
 * directory identify them, and they are stopped before the new ones start, so a crash never blocks a restart.
 */
public final class EmbeddedServers {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedServers.class);

    private static EmbeddedServers postgresOwner;
    private static EmbeddedServers redisOwner;
    private static int users;

    private final EmbeddedPostgres postgres;
    private final RedisServer redis;
    private final int redisPort;

    private EmbeddedServers(EmbeddedPostgres postgres, RedisServer redis, int redisPort) {
        this.postgres = postgres;
        this.redis = redis;
        this.redisPort = redisPort;
    }

    /** JDBC URL of the running embedded Postgres, starting it on first use. */
    static synchronized String postgresJdbcUrl(Path dataDir) {
        if (postgresOwner == null) {
            postgresOwner = new EmbeddedServers(startPostgres(dataDir.resolve("postgres")), null, 0);
            Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedServers::stopAll, "chorus-embedded-stop"));
        }
        return postgresOwner.postgres.getJdbcUrl("postgres", "postgres");
    }

    /** Port of the running embedded Redis, starting it on first use. */
    static synchronized int redisPort(Path dataDir) {
        if (redisOwner == null) {
            int port = freePort();
            redisOwner = new EmbeddedServers(null, startRedis(dataDir.resolve("redis"), port), port);
            Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedServers::stopAll, "chorus-embedded-stop"));
        }
        return redisOwner.redisPort;
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
    }

    static synchronized void stopAll() {
        if (postgresOwner != null) {
            try {
                postgresOwner.postgres.close();
                log.info("Embedded PostgreSQL stopped");
            } catch (IOException e) {
                log.warn("Embedded PostgreSQL did not stop cleanly", e);
            }
            postgresOwner = null;
        }
        if (redisOwner != null) {
            try {
                redisOwner.redis.stop();
                log.info("Embedded Redis stopped");
            } catch (IOException e) {
                log.warn("Embedded Redis did not stop cleanly", e);
            }
            redisOwner = null;
        }
    }

    private static EmbeddedPostgres startPostgres(Path dir) {
        try {
            Files.createDirectories(dir.getParent());
            stopOrphan(dir.resolve("postmaster.pid"), "postgres");
            long started = System.nanoTime();
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    // durable: an acknowledged send must survive a crash of the machine, not only of the JVM
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "300")
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
            log.info(
                    "Embedded PostgreSQL started on port {} with data in {} ({} ms)",
                    postgres.getPort(),
                    dir,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return postgres;
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
            RedisServer redis = RedisServer.newRedisServer()
                    .port(port)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .setting("pidfile " + pidFile.toAbsolutePath())
                    .build();
            redis.start();
            log.info("Embedded Redis started on port {}", port);
            return redis;
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
            log.warn("Stopping {} (pid {}) left running by a previous run", commandHint, orphan.pid());
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
