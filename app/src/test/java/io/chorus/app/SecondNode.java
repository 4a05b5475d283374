package io.chorus.app;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A second all-in-one node in the test JVM, on its own port, sharing the embedded PostgreSQL and the tests' Redis
 * with the node of the test's context: a cluster of two. Started at the first use, stopped with {@link #close}.
 */
public final class SecondNode implements AutoCloseable {

    private ConfigurableApplicationContext context;

    public int port() {
        if (context == null) {
            context = new SpringApplicationBuilder(ChorusApplication.class)
                    .profiles("it")
                    .initializers(new TestRedis.Initializer())
                    .run("--server.port=0");
        }
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    @Override
    public void close() {
        if (context != null) {
            context.close();
            context = null;
        }
    }
}
