package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.SendMessageCommand;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/** An event carries the id and trace of the command that applied it (io.chorus.command.infrastructure.CommandOrigin). */
@ChorusIT
class CorrelationIT {

    @Autowired
    CommandGateway gateway;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void aStoredEventCarriesItsCommandsIdAndTrace() throws Exception {
        // given a group
        String group = "correlated-" + UUID.randomUUID().toString().substring(0, 8);
        gateway.sendAndWait(new CreateGroupCommand(group, "Correlated", Visibility.OPEN, "alice", Instant.now()));

        // when a send that is part of a trace is handled
        GenericCommandMessage<SendMessageCommand> send = new GenericCommandMessage<>(
                        new SendMessageCommand(group, "alice", "m-1", "hello", null, Instant.now()))
                .andMetaData(Map.of("traceId", "trace-" + group));
        gateway.sendAndWait(send);

        // then its event holds the command's id and the trace
        JsonNode metaData = new ObjectMapper()
                .readTree(jdbc.queryForObject(
                        "select convert_from(meta_data, 'UTF8') from domain_event_entry"
                                + " where aggregate_identifier = ? and sequence_number = 1",
                        String.class,
                        group));
        assertThat(metaData.path("correlationId").asText()).isEqualTo(send.getIdentifier());
        assertThat(metaData.path("traceId").asText()).isEqualTo("trace-" + group);
    }
}
