package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.api.message.SendReceiptView;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Another node appended to a group this node holds in its cache: the next command here loses the race for the
 * group's next position, and is retried on a freshly loaded group instead of failing or taking a wrong seq. A command
 * that would store nothing on the stale group (a no-op or a refusal) is decided on the current group too: two real
 * nodes, one changing what the other holds.
 */
@ChorusIT
class StaleGroupIT {

    static final SecondNode second = new SecondNode();

    @LocalServerPort
    int port;

    @AfterAll
    static void stopSecond() {
        second.close();
    }

    @Autowired
    CommandGateway gateway;

    @Autowired
    EventStorageEngine engine;

    @Autowired
    PlatformTransactionManager transactions;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void commandOnAStaleCachedGroupIsRetriedAndTakesTheNextSeq() {
        // given a cached group, and an event appended by "another node"
        String group = "stale-" + UUID.randomUUID().toString().substring(0, 8);
        gateway.sendAndWait(new CreateGroupCommand(group, "s", Visibility.OPEN, "alice", Instant.now()));
        MessageSentEvent elsewhere = new MessageSentEvent(
                group, 2, "m-elsewhere", "c-elsewhere", "alice", "from another node", null, Instant.now());
        new TransactionTemplate(transactions)
                .executeWithoutResult(status ->
                        engine.appendEvents(new GenericDomainEventMessage<>("GroupAggregate", group, 1, elsewhere)));

        // when
        SendReceiptView receipt =
                gateway.sendAndWait(new SendMessageCommand(group, "alice", "c-here", "from here", null, Instant.now()));
        SendReceiptView retryOfElsewhere = gateway.sendAndWait(
                new SendMessageCommand(group, "alice", "c-elsewhere", "from another node", null, Instant.now()));

        // then
        assertThat(receipt.seq()).isEqualTo(3);
        assertThat(retryOfElsewhere.duplicate()).isTrue();
        assertThat(retryOfElsewhere.seq()).isEqualTo(2);
    }

    /** A group created through this node, which then holds it in its cache (a send through it confirms that). */
    private String cachedGroup(Api here, String owner) {
        String group = "stale-" + UUID.randomUUID().toString().substring(0, 8);
        here.createOpenGroup(owner, group, "s");
        assertThat(here.post(owner, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "c0", "text", "t"))
                        .status())
                .isEqualTo(201);
        return group;
    }

    @Test
    void aKickOfAMemberWhoJoinedThroughAnotherNodeIsStored() {
        // given a group node A holds, and bob joining it through node B
        Api a = new Api(port);
        Api b = new Api(second.port());
        String alice = a.token("alice");
        String bob = a.token("bob");
        String group = cachedGroup(a, alice);
        assertThat(b.post(bob, "/api/groups/" + group + "/join", null).status()).isEqualTo(200);

        // when alice kicks him through node A
        Api.Response kick = a.delete(alice, "/api/groups/" + group + "/members/bob");

        // then the removal is stored, right after his join
        assertThat(kick.status()).isEqualTo(200);
        assertThat(storedTypes(group))
                .containsExactly("GroupCreatedEvent", "MessageSentEvent", "MemberJoinedEvent", "MemberRemovedEvent");
    }

    @Test
    void aMemberWhoJoinedThroughAnotherNodeIsNotRefused() {
        // given a group node A holds, and carol joining it through node B
        Api a = new Api(port);
        Api b = new Api(second.port());
        String alice = a.token("alice");
        String carol = a.token("carol");
        String group = cachedGroup(a, alice);
        assertThat(b.post(carol, "/api/groups/" + group + "/join", null).status())
                .isEqualTo(200);

        // when she sends through node A
        Api.Response sent =
                a.post(carol, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "c1", "text", "hi"));

        // then she is a member there too
        assertThat(sent.status()).as(sent.body().toString()).isEqualTo(201);
        assertThat(sent.body().get("seq").asLong()).isEqualTo(4);
    }

    @Test
    void aSecondJoinThroughAnotherNodeAfterALeaveIsStored() {
        // given bob a member, cached so on node A; he leaves through node B
        Api a = new Api(port);
        Api b = new Api(second.port());
        String alice = a.token("alice");
        String bob = a.token("bob");
        String group = cachedGroup(a, alice);
        assertThat(a.post(bob, "/api/groups/" + group + "/join", null).status()).isEqualTo(200);
        assertThat(b.post(bob, "/api/groups/" + group + "/leave", null).status())
                .isEqualTo(200);

        // when he joins again through node A, which saw him as a member (a join of a member changes nothing)
        assertThat(a.post(bob, "/api/groups/" + group + "/join", null).status()).isEqualTo(200);

        // then that join is stored
        assertThat(storedTypes(group)).endsWith("MemberJoinedEvent", "MemberLeftEvent", "MemberJoinedEvent");
    }

    private List<String> storedTypes(String group) {
        return jdbc
                .queryForList(
                        "select payload_type from domain_event_entry where aggregate_identifier = ? order by sequence_number",
                        String.class,
                        group)
                .stream()
                .map(type -> type.substring(type.lastIndexOf('.') + 1))
                .toList();
    }
}
