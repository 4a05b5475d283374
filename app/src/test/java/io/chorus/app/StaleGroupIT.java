package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.api.message.SendReceiptView;
import java.time.Instant;
import java.util.UUID;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Another node appended to a group this node holds in its cache: the next command here loses the race for the
 * group's next position, and is retried on a freshly loaded group instead of failing or taking a wrong seq.
 */
@ChorusIT
class StaleGroupIT {

    @Autowired
    CommandGateway gateway;

    @Autowired
    EventStorageEngine engine;

    @Autowired
    PlatformTransactionManager transactions;

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
}
