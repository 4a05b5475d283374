package io.chorus.bench.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.app.ChorusApplication;
import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import io.chorus.eventstore.PostgresEventStoreConfiguration;
import java.time.Duration;
import javax.sql.DataSource;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The hazard of AxonFramework #4829 reproduced on PostgreSQL: writers hold transactions open past the gap timeout
 * while a reader follows the stream. Axon's stock JDBC engine gives events up; Chorus's commit-ordered engine
 * delivers every committed event once, never stepping back.
 */
@SpringBootTest(classes = ChorusApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("it")
class StreamHazardIT {

    /** Short so that the test is quick; the hazard is the same at Axon's default of 60 s, only slower to show. */
    private static final int GAP_TIMEOUT_MILLIS = 400;

    private static final StreamHazardRun.Settings SETTINGS = new StreamHazardRun.Settings(
            8,
            40,
            3,
            0.08,
            Duration.ofMillis(15),
            Duration.ofMillis(500),
            Duration.ofMillis(1500),
            true,
            Duration.ofSeconds(3));

    @Autowired
    DataSource dataSource;

    @Autowired
    Serializer serializer;

    @Autowired
    TransactionManager axonTransactions;

    @Autowired
    PlatformTransactionManager springTransactions;

    @Test
    void stockEngineLosesEventsCommittedAfterTheGapTimeout() throws Exception {
        // given
        EventStorageEngine stock = PostgresEventStoreConfiguration.jdbcEngine(dataSource, serializer, serializer, 100)
                .transactionManager(axonTransactions)
                .gapTimeout(GAP_TIMEOUT_MILLIS)
                .gapCleaningThreshold(1)
                .build();

        // when
        StreamHazardRun.Report report =
                StreamHazardRun.run("stock-jdbc", stock, new TransactionTemplate(springTransactions), SETTINGS);

        // then
        System.out.println(report.line());
        assertThat(report.lost()).isPositive();
    }

    @Test
    void commitOrderedEngineDeliversEveryCommittedEventOnceInAForwardOrder() throws Exception {
        // given
        EventStorageEngine chorus = CommitOrderedEventStorageEngine.create(
                PostgresEventStoreConfiguration.jdbcEngine(dataSource, serializer, serializer, 100),
                axonTransactions,
                Duration.ofMillis(200));

        // when
        StreamHazardRun.Report report =
                StreamHazardRun.run("commit-order", chorus, new TransactionTemplate(springTransactions), SETTINGS);

        // then
        System.out.println(report.line());
        assertThat(report.committed()).isGreaterThan(SETTINGS.writers() * SETTINGS.transactionsPerWriter());
        assertThat(report.lost()).isZero();
        assertThat(report.duplicates()).isZero();
        assertThat(report.backwardSteps()).isZero();
        assertThat(report.delivered()).isEqualTo(report.committed());
    }
}
