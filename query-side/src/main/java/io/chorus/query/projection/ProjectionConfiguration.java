package io.chorus.query.projection;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.axonframework.common.AxonThreadFactory;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.ConfigurerModule;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.eventhandling.ReplayToken;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The processors of every projection slot: handlers of slot x of projection p go to processor {@code p-x} (settings
 * under {@code axon.eventhandling.processors.p-x}). A processor whose slot is neither active nor being built starts
 * at the head of the stream, and handles nothing while its slot is unwanted: it runs only for the moment between
 * Axon starting every processor and {@link ReplayCoordinator} stopping it, and new events keep coming meanwhile. Their
 * transactions commit without waiting for the disk ({@link AsynchronousCommit}) unless {@code
 * chorus.projections.asynchronous-commit} is false.
 */
@Configuration
public class ProjectionConfiguration {

    /** The projections with slots. */
    public static final List<String> PROJECTIONS = List.of("history", "recent");

    /** Projections whose failures mean "the store is unavailable": the batch is retried, never parked or skipped. */
    public static final List<String> RETRIED_ON_FAILURE = List.of("recent");

    @Bean
    ConfigurerModule projectionSlotProcessors(
            ObjectProvider<ProjectionSlots> slots,
            ObjectProvider<JdbcTemplate> jdbc,
            @Value("${chorus.projections.asynchronous-commit:true}") boolean asynchronousCommit) {
        return configurer -> {
            for (String projection : PROJECTIONS) {
                for (String slot : ProjectionSlots.SLOTS) {
                    String name = SlotProjection.processorName(projection, slot);
                    if (asynchronousCommit) {
                        configurer
                                .eventProcessing()
                                .registerTransactionManager(
                                        name,
                                        c -> new AsynchronousCommit(
                                                c.getComponent(TransactionManager.class), jdbc.getObject()));
                    }
                    configurer
                            .eventProcessing()
                            .assignHandlerInstancesMatching(
                                    name,
                                    handler -> handler instanceof SlotProjection p
                                            && p.projection().equals(projection)
                                            && p.slot().equals(slot))
                            .registerPooledStreamingEventProcessorConfiguration(
                                    name,
                                    (config, builder) -> builder.initialToken(source -> slots.getObject()
                                                            .state(projection)
                                                            .wanted(slot)
                                                    ? ReplayToken.createReplayToken(
                                                            source.createHeadToken(), source.createTailToken())
                                                    : source.createHeadToken())
                                            .coordinatorExecutor(processor -> coordinatorExecutor(config, processor)));
                    configurer.eventProcessing().registerHandlerInterceptor(name, c -> {
                        // Axon starts every processor, and a retired slot's processor runs until the
                        // reconciler stops it: meanwhile it must not write into a slot that was emptied
                        ProjectionSlots current = slots.getObject();
                        return (unitOfWork, chain) -> {
                            // the worker threads are Axon's (from axon.eventhandling.processors.*.thread-count)
                            BackgroundWork.yieldToLiveTraffic(name);
                            return current.state(projection).wanted(slot) ? chain.proceed() : null;
                        };
                    });
                    if (RETRIED_ON_FAILURE.contains(projection)) {
                        configurer
                                .eventProcessing()
                                .registerListenerInvocationErrorHandler(name, c -> PropagatingErrorHandler.instance());
                    }
                }
            }
        };
    }

    /**
     * The executor Axon would give a processor's coordinator (one thread, shut down with Axon's configuration), its
     * thread at the lowest priority: the coordinator reads the stream for the projection, work that can wait a little
     * when the cores are full (see {@link BackgroundWork}).
     */
    private static ScheduledExecutorService coordinatorExecutor(
            org.axonframework.config.Configuration config, String processor) {
        ScheduledExecutorService coordinator = Executors.newSingleThreadScheduledExecutor(
                new AxonThreadFactory(Thread.MIN_PRIORITY, new ThreadGroup("Coordinator[" + processor + "]")));
        config.onShutdown(coordinator::shutdown);
        return coordinator;
    }
}
