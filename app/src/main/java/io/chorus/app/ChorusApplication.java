package io.chorus.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationExcludeFilter;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;

/**
 * Chorus in one process: the command side, the query side and realtime push, with an embedded PostgreSQL and
 * Redis unless external ones are configured.
 */
// the modules it assembles, by name: benchmarks (io.chorus.bench) carry apps of their own on the same classpath, and
// each side's own entry point (CommandSideApplication, …) is left out: this class assembles the sides itself
@SpringBootConfiguration
@EnableAutoConfiguration
@ComponentScan(
        basePackages = {
            "io.chorus.app",
            "io.chorus.command",
            "io.chorus.query",
            "io.chorus.push",
            "io.chorus.web",
            "io.chorus.eventstore",
            "io.chorus.embedded",
            "io.chorus.db"
        },
        excludeFilters = {
            @ComponentScan.Filter(type = FilterType.CUSTOM, classes = TypeExcludeFilter.class),
            @ComponentScan.Filter(type = FilterType.CUSTOM, classes = AutoConfigurationExcludeFilter.class),
            @ComponentScan.Filter(type = FilterType.ANNOTATION, classes = SpringBootApplication.class)
        })
public class ChorusApplication {

    public static void main(String[] args) {
        SpringApplication.run(ChorusApplication.class, args);
    }
}
