package io.chorus.push;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Realtime push on its own: the STOMP endpoint, following the event stream; memberships are asked of the query
 * side over Axon's query bus (routed by Axon Server). Run from the app's jar: {@code java
 * -Dloader.main=io.chorus.push.PushApplication -jar chorus-app.jar} (README, Distributed mode).
 */
@SpringBootApplication(
        scanBasePackages = {
            "io.chorus.push",
            "io.chorus.web",
            "io.chorus.eventstore",
            "io.chorus.embedded",
            "io.chorus.db"
        })
public class PushApplication {

    public static void main(String[] args) {
        SpringApplication.run(PushApplication.class, args);
    }
}
