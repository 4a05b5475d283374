package io.chorus.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import redis.embedded.RedisServer;

/**
 * The Redis of the integration tests: a real Redis server that the tests own, so that a test can stop it and start
 * it again (on the same port, empty) to show what Chorus does while its cache is away.
 */
public final class TestRedis {

    private static final int PORT = freePort();
    private static RedisServer server;

    private TestRedis() {}

    public static synchronized int port() {
        if (server == null) {
            start();
        }
        return PORT;
    }

    public static synchronized void start() {
        try {
            server = RedisServer.newRedisServer()
                    .port(PORT)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .build();
            server.start();
            Runtime.getRuntime().addShutdownHook(new Thread(TestRedis::stop));
        } catch (IOException e) {
            throw new UncheckedIOException("the tests' Redis did not start", e);
        }
    }

    public static synchronized void stop() {
        try {
            if (server != null && server.isActive()) {
                server.stop();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the tests' Redis did not stop", e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Points the app at this Redis (application-it.yml names the host, so no embedded Redis is started). */
    public static class Initializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {
        @Override
        public void initialize(ConfigurableApplicationContext context) {
            context.getEnvironment()
                    .getPropertySources()
                    .addFirst(new MapPropertySource("testRedis", Map.of("spring.data.redis.port", port())));
        }
    }
}
