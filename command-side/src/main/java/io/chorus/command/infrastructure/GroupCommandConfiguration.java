package io.chorus.command.infrastructure;

import io.chorus.command.group.GroupAggregate;
import io.chorus.command.group.MessageLookup;
import io.chorus.command.group.TextRules;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.axonframework.commandhandling.CommandBus;
import org.axonframework.commandhandling.CommandBusSpanFactory;
import org.axonframework.commandhandling.DuplicateCommandHandlerResolver;
import org.axonframework.commandhandling.SimpleCommandBus;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.commandhandling.gateway.DefaultCommandGateway;
import org.axonframework.common.caching.Cache;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.Configuration;
import org.axonframework.eventsourcing.SnapshotTriggerDefinition;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.annotation.HandlerDefinition;
import org.axonframework.messaging.annotation.ParameterResolverFactory;
import org.axonframework.messaging.correlation.CorrelationDataProvider;
import org.axonframework.messaging.interceptors.CorrelationDataInterceptor;
import org.axonframework.modelling.command.CommandTargetResolver;
import org.axonframework.serialization.Serializer;
import org.axonframework.spring.eventsourcing.SpringAggregateSnapshotter;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** How the group aggregate is loaded, snapshotted and retried. */
@org.springframework.context.annotation.Configuration
@EnableConfigurationProperties(CommandSideProperties.class)
public class GroupCommandConfiguration {

    /** Replaces Axon's default provider (a bean only when none is defined): see {@link CommandOrigin}. */
    @Bean
    CorrelationDataProvider commandOrigin() {
        return new CommandOrigin();
    }

    /** Busy groups stay in memory; a cold or evicted one loads from its latest snapshot. */
    @Bean
    Cache groupCache(CommandSideProperties properties) {
        return new BoundedAggregateCache(properties.cachedGroups(), properties.cacheMemoryBytes());
    }

    @Bean(destroyMethod = "shutdown")
    ExecutorService snapshotExecutor() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "chorus-snapshotter");
            thread.setDaemon(true);
            // storing a snapshot can wait when the cores are full (with -XX:ThreadPriorityPolicy=1 on Linux)
            thread.setPriority(Thread.MIN_PRIORITY);
            return thread;
        });
    }

    /**
     * Axon's snapshotter, which replays a group's events since its last snapshot on a thread of its own; used when
     * the held state cannot be (see {@link HeldStateSnapshotter}).
     */
    @Bean
    SpringAggregateSnapshotter groupSnapshotter(
            Configuration axon,
            EventStore eventStore,
            TransactionManager transactionManager,
            ParameterResolverFactory parameterResolverFactory,
            HandlerDefinition handlerDefinition,
            ExecutorService snapshotExecutor) {
        return SpringAggregateSnapshotter.builder()
                .repositoryProvider(axon::repository)
                .eventStore(eventStore)
                .transactionManager(transactionManager)
                .parameterResolverFactory(parameterResolverFactory)
                .handlerDefinition(handlerDefinition)
                .executor(snapshotExecutor)
                .build();
    }

    /**
     * A snapshot every {@code snapshotThreshold} events of a group, from the state the command side holds; it is
     * serialized after the command's commit on the command thread, under the group's lock, and stored on the
     * snapshot thread.
     */
    @Bean
    SnapshotTriggerDefinition groupSnapshotTrigger(
            SpringAggregateSnapshotter groupSnapshotter,
            Cache groupCache,
            EventStore eventStore,
            Serializer serializer,
            TransactionManager transactionManager,
            ExecutorService snapshotExecutor,
            ParameterResolverFactory parameterResolverFactory,
            HandlerDefinition handlerDefinition,
            ObjectProvider<MeterRegistry> meters,
            CommandSideProperties properties) {
        HeldStateSnapshotter snapshotter = new HeldStateSnapshotter(
                groupSnapshotter,
                groupCache,
                eventStore,
                serializer,
                transactionManager,
                snapshotExecutor,
                parameterResolverFactory,
                handlerDefinition,
                meters.getIfAvailable(SimpleMeterRegistry::new));
        return new CommitTimeSnapshotTriggerDefinition(
                snapshotter, properties.snapshotThreshold(), properties.spreadSnapshots());
    }

    @Bean
    TextRules textRules(CommandSideProperties properties) {
        return new TextRules(properties.maxTextLength());
    }

    @Bean
    MessageLookup messageLookup(EventStore eventStore) {
        return new EventStoreMessageLookup(eventStore);
    }

    @Bean(destroyMethod = "shutdown")
    ScheduledExecutorService commandRetryExecutor() {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "chorus-command-retry");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * With group commit (the default, see {@code chorus.event-store.group-commit}), a command runs without a
     * database transaction of its own: its events are written, with those of other commands waiting at the same
     * moment, by the event store's group-commit writer, and the command completes once they are committed. Holding a
     * pooled connection per waiting command would only starve that writer.
     */
    @Bean
    @Qualifier("localSegment")
    @ConditionalOnProperty(name = "chorus.event-store.group-commit.enabled", matchIfMissing = true)
    SimpleCommandBus commandBus(Configuration axon, DuplicateCommandHandlerResolver duplicateCommandHandlerResolver) {
        SimpleCommandBus commandBus = SimpleCommandBus.builder()
                .transactionManager(NoTransactionManager.INSTANCE)
                .duplicateCommandHandlerResolver(duplicateCommandHandlerResolver)
                .spanFactory(axon.getComponent(CommandBusSpanFactory.class))
                .messageMonitor(axon.messageMonitor(CommandBus.class, "commandBus"))
                .build();
        commandBus.registerHandlerInterceptor(new CorrelationDataInterceptor<>(axon.correlationDataProviders()));
        return commandBus;
    }

    /**
     * Commands that store nothing are checked against the store's last event of their group ({@link
     * StaleGroupCheck}), on the command bus of this node whichever it is (group commit or Axon's default).
     */
    @Bean
    SmartInitializingSingleton staleGroupCheck(
            Configuration axon,
            @Qualifier("localSegment") SimpleCommandBus localSegment,
            EventStore eventStore,
            Cache groupCache,
            CommandTargetResolver groupTargetResolver) {
        return () -> {
            StaleGroupCheck check = new StaleGroupCheck(
                    groupTargetResolver, () -> axon.repository(GroupAggregate.class), eventStore, groupCache);
            eventStore.registerDispatchInterceptor(check.appendWatcher());
            localSegment.registerHandlerInterceptor(check);
        };
    }

    /** Which group a command targets, with its field looked up once per command class. */
    @Bean
    CommandTargetResolver groupTargetResolver() {
        return new CachedTargetResolver();
    }

    /** Retries only a lost race for the group's next position; a broken rule or bad input fails at once. */
    @Bean
    CommandGateway commandGateway(
            CommandBus commandBus, ScheduledExecutorService commandRetryExecutor, CommandSideProperties properties) {
        return DefaultCommandGateway.builder()
                .commandBus(commandBus)
                .retryScheduler(new ConcurrencyRetryScheduler(commandRetryExecutor, properties.commandRetries()))
                .build();
    }
}
