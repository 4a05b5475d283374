package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.api.message.MessageSentEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * An event the history projection cannot apply is parked for its group; other groups go on; once the cause is
 * fixed, an admin retry applies it.
 */
@ChorusIT
class DeadLetterIT {

    @LocalServerPort
    int port;

    @Autowired
    EventStorageEngine engine;

    @Autowired
    PlatformTransactionManager transactions;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void failingEventIsParkedForItsGroupOnlyAndRetriedOnceFixed() {
        // given an event the projection cannot apply: a message of a group it has never seen
        Api api = new Api(port);
        String admin = api.token("ops", "chorus:admin");
        String orphan = "orphan-" + UUID.randomUUID().toString().substring(0, 8);
        MessageSentEvent lost = new MessageSentEvent(orphan, 2, "m-1", "c-1", "alice", "hi", null, Instant.now());
        new TransactionTemplate(transactions)
                .executeWithoutResult(status ->
                        engine.appendEvents(new GenericDomainEventMessage<>("GroupAggregate", orphan, 1, lost)));

        // when another group keeps working
        String alice = api.token("alice");
        String group = "alive-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "A");
        api.post(alice, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "c-1", "text", "hello"));

        // then the other group is projected, and the failed event waits in the dead-letter queue
        await().atMost(Duration.ofSeconds(10))
                .until(() -> api.call("GET", "/api/groups/" + group + "/messages", alice, null)
                                .body()
                                .path("messages")
                                .size()
                        == 1);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> api.call("GET", "/api/admin/projections/history/dead-letters", admin, null)
                                .body()
                                .path("sequences")
                                .asLong()
                        >= 1);
        assertThat(api.call("GET", "/api/admin/projections/history/dead-letters", alice, null)
                        .status())
                .isEqualTo(403);

        // when the cause is fixed and the letters retried
        jdbc.update(
                "insert into history_group_a (group_id, name, visibility, last_seq) values (?, 'O', 'open', 1)",
                orphan);
        Api.Response retry = api.post(admin, "/api/admin/projections/history/dead-letters/retry", null);

        // then
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.body().get("retried").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(retry.body().get("sequences").asLong()).isZero();
        assertThat(jdbc.queryForObject(
                        "select text from history_message_a where group_id = ? and seq = 2", String.class, orphan))
                .isEqualTo("hi");

        // a replay meets the same event again (the rebuilt slot has no such group): it is parked there too, the
        // replay still completes, and the other group is rebuilt
        String active = activeSlot(api, admin);
        assertThat(api.post(admin, "/api/admin/projections/history/replay", null)
                        .status())
                .isEqualTo(202);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            String now = activeSlot(api, admin);
            return !now.isEmpty() && !now.equals(active);
        });
        assertThat(api.call("GET", "/api/admin/projections/history/dead-letters", admin, null)
                        .body()
                        .path("sequences")
                        .asLong())
                .isGreaterThanOrEqualTo(1);
        assertThat(api.call("GET", "/api/groups/" + group + "/messages", alice, null)
                        .body()
                        .path("messages")
                        .size())
                .isEqualTo(1);
    }

    /** The history's active slot once no replay runs; "" while one does. */
    private static String activeSlot(Api api, String admin) {
        for (com.fasterxml.jackson.databind.JsonNode projection :
                api.call("GET", "/api/admin/projections", admin, null).body()) {
            if (projection.get("name").asText().equals("history")
                    && projection.get("status").asText().equals("live")) {
                return projection.get("activeSlot").asText();
            }
        }
        return "";
    }
}
