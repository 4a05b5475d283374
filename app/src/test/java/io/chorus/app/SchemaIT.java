package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.SendMessageCommand;
import java.time.Instant;
import java.util.UUID;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;

/** The schema is Flyway's, Hibernate only validates it, and Axon's binary columns are bytea. */
@ChorusIT
class SchemaIT {

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    CommandGateway gateway;

    @Autowired
    Environment environment;

    @Test
    void migrationsOwnTheSchema() {
        assertThat(environment.getProperty("spring.jpa.hibernate.ddl-auto")).isEqualTo("validate");
        assertThat(jdbc.queryForList(
                        "select version from flyway_schema_history where success order by installed_rank",
                        String.class))
                .contains("1");
    }

    @Test
    void eventsAreStoredAsByteaNeverAsLargeObjects() {
        // given some events
        String group = "lob-" + UUID.randomUUID().toString().substring(0, 8);
        gateway.sendAndWait(new CreateGroupCommand(group, "Lob", Visibility.OPEN, "alice", Instant.now()));
        gateway.sendAndWait(new SendMessageCommand(group, "alice", "c-1", "hi", null, Instant.now()));

        // then
        assertThat(jdbc.queryForObject(
                        "select count(*) from information_schema.columns where table_schema = 'public'"
                                + " and data_type = 'oid'",
                        Integer.class))
                .isZero();
        assertThat(jdbc.queryForObject("select count(*) from pg_largeobject_metadata", Integer.class))
                .isZero();
        assertThat(jdbc.queryForObject(
                        "select pg_typeof(payload)::text from domain_event_entry where aggregate_identifier = ?"
                                + " limit 1",
                        String.class,
                        group))
                .isEqualTo("bytea");
    }

    @Test
    void theGlobalIndexHasItsOwnStepOneSequence() {
        assertThat(jdbc.queryForObject(
                        "select seqincrement from pg_sequence where seqrelid = 'domain_event_entry_seq'::regclass",
                        Long.class))
                .isEqualTo(1);
        // a fresh pair of appends takes consecutive indexes
        String group = "idx-" + UUID.randomUUID().toString().substring(0, 8);
        gateway.sendAndWait(new CreateGroupCommand(group, "Idx", Visibility.OPEN, "alice", Instant.now()));
        gateway.sendAndWait(new SendMessageCommand(group, "alice", "c-1", "hi", null, Instant.now()));
        Long spread = jdbc.queryForObject(
                "select max(global_index) - min(global_index) from domain_event_entry where aggregate_identifier = ?",
                Long.class,
                group);
        assertThat(spread).isEqualTo(1);
    }
}
