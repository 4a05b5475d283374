package io.chorus.query;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The query side on its own: the projections, the history and group reads, the integrator event stream and the
 * admin API. Run from the app's jar: {@code java -Dloader.main=io.chorus.query.QuerySideApplication -jar chorus-
 * app.jar} (README, Distributed mode).
 */
@SpringBootApplication(
        scanBasePackages = {
            "io.chorus.query",
            "io.chorus.web",
            "io.chorus.eventstore",
            "io.chorus.embedded",
            "io.chorus.db"
        })
public class QuerySideApplication {

    public static void main(String[] args) {
        SpringApplication.run(QuerySideApplication.class, args);
    }
}
