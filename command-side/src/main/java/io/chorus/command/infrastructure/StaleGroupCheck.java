package io.chorus.command.infrastructure;

import io.chorus.api.group.CreateGroupCommand;
import io.chorus.command.group.GroupAggregate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.common.caching.Cache;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageDispatchInterceptor;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.axonframework.modelling.command.CommandTargetResolver;
import org.axonframework.modelling.command.ConcurrencyException;
import org.axonframework.modelling.command.Repository;

/**
 * Makes a decision that stores nothing as current as one that stores. A command that appends events is arbitrated
 * by the event store's unique (group, sequence number): decided on a group another node changed meanwhile, its append
 * fails and it is retried on the group as it is. A command that appends nothing (a no-op such as a second join, or a
 * refusal) reaches no such arbiter, so on a node that holds the group in its cache it would be decided on a stale
 * state: a kick of a member who joined through another node would answer 200 and store nothing. After such a command
 * this compares the version it was decided on with the store's last sequence number for the group; if the store has
 * more, the group leaves the cache and the command fails as a lost race, so that it is retried like one.
 *
 * <p>Only commands that append nothing pay for the look-up, which is one indexed read of the group's last event.
 */
final class StaleGroupCheck implements MessageHandlerInterceptor<CommandMessage<?>> {

    private static final String APPENDED = StaleGroupCheck.class.getName() + ".appended";

    private final CommandTargetResolver targets;
    private final Supplier<Repository<GroupAggregate>> repository;
    private final EventStore eventStore;
    private final Cache cache;

    StaleGroupCheck(
            CommandTargetResolver targets,
            Supplier<Repository<GroupAggregate>> repository,
            EventStore eventStore,
            Cache cache) {
        this.targets = targets;
        this.repository = repository;
        this.eventStore = eventStore;
        this.cache = cache;
    }

    /** Marks the command's unit of work when it publishes an event of the group the command is for. */
    MessageDispatchInterceptor<EventMessage<?>> appendWatcher() {
        return new MessageDispatchInterceptor<>() {
            @Override
            public BiFunction<Integer, EventMessage<?>, EventMessage<?>> handle(
                    List<? extends EventMessage<?>> messages) {
                return (index, event) -> {
                    if (event instanceof DomainEventMessage<?> domain) {
                        CurrentUnitOfWork.ifStarted(unitOfWork -> {
                            Appended appended = unitOfWork.getResource(APPENDED);
                            if (appended != null && appended.groupId.equals(domain.getAggregateIdentifier())) {
                                appended.set(true);
                            }
                        });
                    }
                    return event;
                };
            }
        };
    }

    private static final class Appended extends AtomicBoolean {
        final String groupId;

        Appended(String groupId) {
            this.groupId = groupId;
        }
    }

    @Override
    public Object handle(UnitOfWork<? extends CommandMessage<?>> unitOfWork, InterceptorChain chain) throws Exception {
        Optional<String> target = unitOfWork.getMessage().getPayload() instanceof CreateGroupCommand
                ? Optional.empty()
                : groupOf(unitOfWork.getMessage());
        if (target.isEmpty()) {
            return chain.proceed();
        }
        String groupId = target.get();
        Appended appended = new Appended(groupId);
        unitOfWork.resources().put(APPENDED, appended);
        Object result;
        try {
            result = chain.proceed();
        } catch (Exception refusal) {
            requireCurrent(groupId, appended);
            throw refusal;
        }
        requireCurrent(groupId, appended);
        return result;
    }

    private Optional<String> groupOf(CommandMessage<?> command) {
        try {
            return Optional.of(targets.resolveTarget(command).getIdentifier());
        } catch (IllegalArgumentException notAGroupCommand) {
            return Optional.empty();
        }
    }

    private void requireCurrent(String groupId, Appended appended) {
        if (appended.get()) {
            return;
        }
        Long decidedOn;
        try {
            // the group this unit of work loaded (the repository hands out the same one again), not a new load
            decidedOn = repository.get().load(groupId).version();
        } catch (AggregateNotFoundException unknown) {
            return;
        }
        if (decidedOn == null) {
            return;
        }
        long stored = eventStore.lastSequenceNumberFor(groupId).orElse(-1L);
        if (stored > decidedOn) {
            cache.remove(groupId);
            throw new ConcurrencyException("group " + groupId + " was decided on at version " + decidedOn
                    + " while the store holds " + stored + ": another node changed it; retried on the current group");
        }
    }
}
