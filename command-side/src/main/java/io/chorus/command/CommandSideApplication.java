package io.chorus.command;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The command side on its own: the group aggregate and the command REST API; events go to the configured event
 * store (PostgreSQL, or Axon Server with the profile {@code axonserver}). Run from the app's jar: {@code java
 * -Dloader.main=io.chorus.command.CommandSideApplication -jar chorus-app.jar} (README, Distributed mode).
 */
@SpringBootApplication(
        scanBasePackages = {
            "io.chorus.command",
            "io.chorus.web",
            "io.chorus.eventstore",
            "io.chorus.embedded",
            "io.chorus.db"
        })
public class CommandSideApplication {

    public static void main(String[] args) {
        SpringApplication.run(CommandSideApplication.class, args);
    }
}
