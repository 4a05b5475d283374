package io.chorus.app.chaos;

import io.chorus.app.TestRedis;
import io.chorus.app.process.ChorusProcess;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;

/**
 * What the chaos suite runs and breaks: all-in-one Chorus nodes as real processes ({@code java -jar
 * chorus-app.jar}) on one PostgreSQL (restartable on the same port and data) and the tests' Redis.
 */
final class ChaosCluster implements AutoCloseable {

    /** Every node: fast failover of projection segments, a replay limit no restart reaches, quick cut-offs. */
    private static final String[] NODE_SETTINGS = Stream.concat(
                    Stream.of(ChorusProcess.FAST_FAILOVER),
                    Stream.of(
                            "--chorus.push.replay-limit=1000000",
                            "--chorus.push.send-buffer-size-limit=64KB",
                            "--chorus.push.send-time-limit=3s"))
            .toArray(String[]::new);

    private final Path postgresData;
    private final int postgresPort;
    private volatile EmbeddedPostgres postgres;
    private final AtomicReferenceArray<ChorusProcess> nodes;
    private final int[] incarnations;

    ChaosCluster(Path dir, int nodeCount) throws IOException {
        this.postgresData = dir.resolve("postgres");
        try (ServerSocket socket = new ServerSocket(0)) {
            this.postgresPort = socket.getLocalPort();
        }
        this.postgres = startPostgres();
        this.nodes = new AtomicReferenceArray<>(nodeCount);
        this.incarnations = new int[nodeCount];
        // the first node migrates the schema; the others start together after it
        nodes.set(0, launch(0));
        nodes.get(0).awaitReady();
        for (int i = 1; i < nodeCount; i++) {
            nodes.set(i, launch(i));
        }
        for (int i = 1; i < nodeCount; i++) {
            nodes.get(i).awaitReady();
        }
    }

    private EmbeddedPostgres startPostgres() throws IOException {
        return EmbeddedPostgres.builder()
                .setDataDirectory(postgresData)
                .setCleanDataDirectory(false)
                .setPort(postgresPort)
                .setServerConfig("max_connections", "200")
                .start();
    }

    private ChorusProcess launch(int index) throws IOException {
        String name = "chaos-node-" + (index + 1) + "-" + (++incarnations[index]);
        return ChorusProcess.launch(name, null, postgres, NODE_SETTINGS);
    }

    int size() {
        return nodes.length();
    }

    ChorusProcess node(int index) {
        return nodes.get(index);
    }

    /** A running node, {@code preferred} if it runs, else another; empty while none runs. */
    Optional<ChorusProcess> live(int preferred) {
        for (int i = 0; i < nodes.length(); i++) {
            ChorusProcess node = nodes.get((preferred + i) % nodes.length());
            if (node.process().isAlive()) {
                return Optional.of(node);
            }
        }
        return Optional.empty();
    }

    ChorusProcess anyLive(Random random) {
        return live(random.nextInt(nodes.length())).orElseThrow(() -> new IllegalStateException("no node runs"));
    }

    /** {@code kill -9} of a node. */
    void kill(int index) throws InterruptedException {
        nodes.get(index).kill();
    }

    /** Starts a killed node again (a new process on a new port) and waits until it is healthy. */
    void restart(int index) throws IOException {
        ChorusProcess node = launch(index);
        nodes.set(index, node);
        node.awaitReady();
    }

    /** Stops PostgreSQL (fast shutdown: open transactions are rolled back) and starts it on the same data. */
    void restartPostgres() throws IOException {
        postgres.close();
        postgres = startPostgres();
    }

    /** A connection of the test's own to the database the nodes use. */
    Connection database() throws SQLException {
        return postgres.getPostgresDatabase().getConnection();
    }

    String jdbcUrl() {
        return postgres.getJdbcUrl("postgres", "postgres");
    }

    static String redisAddress() {
        return "redis://127.0.0.1:" + TestRedis.port();
    }

    /** Empties Redis while it runs (FLUSHALL over its own protocol), as an operator's mistake would. */
    static void flushRedis() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", TestRedis.port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write("*1\r\n$8\r\nFLUSHALL\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] answer = new byte[5];
            int read = in.readNBytes(answer, 0, answer.length);
            String reply = new String(answer, 0, read, StandardCharsets.US_ASCII);
            if (!reply.startsWith("+OK")) {
                throw new IOException("FLUSHALL answered " + reply);
            }
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < nodes.length(); i++) {
            ChorusProcess node = nodes.get(i);
            if (node != null) {
                node.process().destroyForcibly();
                try {
                    node.process().waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
