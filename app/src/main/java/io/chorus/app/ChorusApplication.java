package io.chorus.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Chorus in one process: the command side, the query side and realtime push, with an embedded PostgreSQL and
 * Redis unless external ones are configured.
 */
@SpringBootApplication(scanBasePackages = "io.chorus")
public class ChorusApplication {

    public static void main(String[] args) {
        SpringApplication.run(ChorusApplication.class, args);
    }
}
