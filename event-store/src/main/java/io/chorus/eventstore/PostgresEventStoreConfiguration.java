package io.chorus.eventstore;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.axonframework.common.jdbc.UnitOfWorkAwareConnectionProviderWrapper;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jpa.SQLStateResolver;
import org.axonframework.serialization.Serializer;
import org.axonframework.spring.jdbc.SpringDataSourceConnectionProvider;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** PostgreSQL as Axon's event store, read in commit order, with wake-ups across processes. */
@Configuration
@EnableConfigurationProperties(EventStoreProperties.class)
// the distributed mode keeps its events in Axon Server, whose connector then supplies the event store
@ConditionalOnProperty(name = "axon.axonserver.enabled", havingValue = "false", matchIfMissing = true)
public class PostgresEventStoreConfiguration {

    /** Postgres's SQL state for a unique violation: another writer took the group's next position. */
    private static final String UNIQUE_VIOLATION = "23505";

    static EventSchema schema() {
        return EventSchema.builder()
                .eventTable("domain_event_entry")
                .snapshotTable("snapshot_event_entry")
                .globalIndexColumn("global_index")
                .timestampColumn("time_stamp")
                .eventIdentifierColumn("event_identifier")
                .aggregateIdentifierColumn("aggregate_identifier")
                .sequenceNumberColumn("sequence_number")
                .typeColumn("type")
                .payloadTypeColumn("payload_type")
                .payloadRevisionColumn("payload_revision")
                .payloadColumn("payload")
                .metaDataColumn("meta_data")
                .build();
    }

    /** A JDBC engine builder on Chorus's tables; payloads are bytea. */
    public static JdbcEventStorageEngine.Builder jdbcEngine(
            DataSource dataSource, Serializer snapshotSerializer, Serializer eventSerializer, int batchSize) {
        return JdbcEventStorageEngine.builder()
                .snapshotSerializer(snapshotSerializer)
                .eventSerializer(eventSerializer)
                .connectionProvider(new UnitOfWorkAwareConnectionProviderWrapper(
                        new SpringDataSourceConnectionProvider(dataSource)))
                .persistenceExceptionResolver(new SQLStateResolver(UNIQUE_VIOLATION))
                .schema(schema())
                .dataType(byte[].class)
                .batchSize(batchSize);
    }

    @Bean(destroyMethod = "close")
    EventStreamNotifier eventStreamNotifier(DataSource dataSource, EventStoreProperties properties) {
        return new EventStreamNotifier(dataSource, properties.channel());
    }

    @Bean(destroyMethod = "shutDown")
    CommitOrderedEventStorageEngine eventStorageEngine(
            DataSource dataSource,
            Serializer serializer,
            @Qualifier("eventSerializer") Serializer eventSerializer,
            TransactionManager transactionManager,
            EventStoreProperties properties,
            ObjectProvider<MeterRegistry> meters) {
        CommitOrderedEventStorageEngine engine = CommitOrderedEventStorageEngine.create(
                jdbcEngine(dataSource, serializer, eventSerializer, properties.batchSize()),
                transactionManager,
                properties.heldBackWait());
        if (properties.groupCommit().enabled()) {
            engine.withGroupCommit(properties.groupCommit().maxCommands());
        }
        meters.ifAvailable(registry -> {
            Timer appends = Timer.builder("chorus.events.append")
                    .description("time to append a command's events to the event store, until durable")
                    .publishPercentileHistogram()
                    .register(registry);
            engine.observeAppends(nanos -> appends.record(nanos, TimeUnit.NANOSECONDS));
            Timer heldBack = Timer.builder("chorus.events.held-back")
                    .description("how long a stream reader waited for committed events held back behind an older"
                            + " open transaction")
                    .publishPercentileHistogram()
                    .register(registry);
            engine.observeHeldBack(nanos -> heldBack.record(nanos, TimeUnit.NANOSECONDS));
        });
        return engine;
    }

    @Bean
    ChorusEventStore eventStore(
            EventStorageEngine eventStorageEngine, EventStreamNotifier notifier, EventStoreProperties properties) {
        EmbeddedEventStore.Builder builder = EmbeddedEventStore.builder()
                .storageEngine(eventStorageEngine)
                .fetchDelay(properties.fetchDelay().toMillis())
                .cachedEvents(properties.cachedEvents());
        return ChorusEventStore.create(builder, notifier, properties.fetchDelay());
    }

    @Bean(destroyMethod = "close")
    EventStreamListener eventStreamListener(
            DataSource dataSource,
            ChorusEventStore eventStore,
            EventStreamNotifier notifier,
            EventStoreProperties properties) {
        return new EventStreamListener(
                dataSource, properties.channel(), eventStore::wake, notifier::sentBy, notifier::listenerAt);
    }
}
