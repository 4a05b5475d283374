package io.chorus.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Chorus in one process: the command side, the query side and realtime push, with an embedded PostgreSQL and
 * Redis unless external ones are configured.
 */
// the modules it assembles, by name: benchmarks (io.chorus.bench) carry apps of their own on the same classpath
@SpringBootApplication(
        scanBasePackages = {
            "io.chorus.app",
            "io.chorus.command",
            "io.chorus.query",
            "io.chorus.push",
            "io.chorus.web",
            "io.chorus.eventstore",
            "io.chorus.embedded",
            "io.chorus.db"
        })
public class ChorusApplication {

    public static void main(String[] args) {
        SpringApplication.run(ChorusApplication.class, args);
    }
}
