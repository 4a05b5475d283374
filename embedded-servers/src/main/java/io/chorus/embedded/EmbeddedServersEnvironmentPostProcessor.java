package io.chorus.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Chorus's embedded default: when no database ({@code spring.datasource.url}) or no Redis
 * ({@code spring.data.redis.host} / {@code .url}) is configured, start a real one in this process and point the
 * application at it. Configured servers are used as they are and nothing is started for them.
 *
 * <p>{@code chorus.embedded.enabled=false} turns this off; {@code chorus.embedded.data-dir} says where the data
 * lives (default {@code ~/.chorus/data}, surviving restarts); {@code chorus.embedded.ephemeral=true} uses a fresh
 * directory deleted at exit instead (what tests use).
 */
public class EmbeddedServersEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    private static final String SOURCE = "chorusEmbeddedServers";

    private static Path ephemeralDir;

    public EmbeddedServersEnvironmentPostProcessor(DeferredLogFactory logFactory) {
        EmbeddedServers.useLog(logFactory.getLog(EmbeddedServers.class));
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.getProperty("chorus.embedded.enabled", Boolean.class, true)
                || environment.getPropertySources().contains(SOURCE)) {
            return;
        }
        boolean needsPostgres = !environment.containsProperty("spring.datasource.url");
        boolean needsRedis = !environment.containsProperty("spring.data.redis.host")
                && !environment.containsProperty("spring.data.redis.url")
                && !environment.containsProperty("spring.redis.redisson.config")
                && !environment.containsProperty("spring.redis.redisson.file");
        if (!needsPostgres && !needsRedis) {
            return;
        }
        Path dataDir = dataDir(environment);
        Map<String, Object> properties = new HashMap<>();
        if (needsPostgres) {
            properties.put("spring.datasource.url", EmbeddedServers.postgresJdbcUrl(dataDir));
            properties.put("spring.datasource.username", "postgres");
            properties.put("spring.datasource.password", "");
        }
        if (needsRedis) {
            properties.put("spring.data.redis.host", "127.0.0.1");
            properties.put("spring.data.redis.port", EmbeddedServers.redisPort(dataDir));
        }
        properties.put("chorus.embedded.active", true);
        environment.getPropertySources().addFirst(new MapPropertySource(SOURCE, properties));
        EmbeddedServers.acquire();
        // registered before any bean of the context, so destroyed after all of them: event processors and pools
        // still talk to the servers while they shut down
        application.addInitializers(context -> ((DefaultSingletonBeanRegistry) context.getBeanFactory())
                .registerDisposableBean("chorusEmbeddedServers", EmbeddedServers::release));
    }

    private static synchronized Path dataDir(ConfigurableEnvironment environment) {
        if (environment.getProperty("chorus.embedded.ephemeral", Boolean.class, false)) {
            if (ephemeralDir == null) {
                try {
                    ephemeralDir = Files.createTempDirectory("chorus-embedded-");
                    // the embedded Postgres runs as an unprivileged user when the JVM is root
                    ephemeralDir.toFile().setWritable(true, false);
                    ephemeralDir.toFile().setExecutable(true, false);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                Path dir = ephemeralDir;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir), "chorus-embedded-clean"));
            }
            return ephemeralDir;
        }
        String configured = environment.getProperty("chorus.embedded.data-dir");
        if (configured == null || configured.isBlank()) {
            return Path.of(System.getProperty("user.home"), ".chorus", "data");
        }
        return Path.of(configured).toAbsolutePath();
    }

    private static void deleteQuietly(Path dir) {
        EmbeddedServers.stopAll();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }

    @Override
    public int getOrder() {
        // after application.yml and profiles are read, so their settings count
        return Ordered.LOWEST_PRECEDENCE;
    }
}
