package io.chorus.app.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.app.ChorusIT;
import io.chorus.query.projection.ProjectionConfiguration;
import io.chorus.query.projection.ProjectionSlots;
import io.chorus.query.projection.SlotProjection;
import java.util.ArrayList;
import java.util.List;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.Configuration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The projections' transactions commit without waiting for the disk (their rows and token are rebuilt from the
 * events); every other transaction, the event store's among them, still waits for its commit to be durable.
 */
@ChorusIT
class AsynchronousCommitIT {

    @Autowired
    Configuration axon;

    @Autowired
    TransactionManager transactions;

    @Autowired
    JdbcTemplate jdbc;

    private String synchronousCommitIn(TransactionManager manager) {
        return manager.fetchInTransaction(() -> jdbc.queryForObject("show synchronous_commit", String.class));
    }

    @Test
    void everyProjectionSlotsTransactionsCommitAsynchronously() {
        List<String> settings = new ArrayList<>();
        for (String projection : ProjectionConfiguration.PROJECTIONS) {
            for (String slot : ProjectionSlots.SLOTS) {
                String processor = SlotProjection.processorName(projection, slot);
                settings.add(processor + ": "
                        + synchronousCommitIn(
                                axon.eventProcessingConfiguration().transactionManager(processor)));
            }
        }

        assertThat(settings).containsExactly("history-a: off", "history-b: off", "recent-a: off", "recent-b: off");
    }

    @Test
    void theSettingEndsWithTheProjectionsTransactionAndOthersStayDurable() {
        TransactionManager history = axon.eventProcessingConfiguration().transactionManager("history-a");

        // a projection's transaction, then others on this thread: Hikari hands a thread the connection it last
        // returned, so they run on the connection the projection's transaction had
        assertThat(synchronousCommitIn(history)).isEqualTo("off");
        List<String> after = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            after.add(synchronousCommitIn(transactions));
            after.add(jdbc.queryForObject("show synchronous_commit", String.class));
        }

        assertThat(after).containsOnly("on");
    }
}
