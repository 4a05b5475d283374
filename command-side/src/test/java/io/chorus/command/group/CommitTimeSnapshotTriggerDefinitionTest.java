package io.chorus.command.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventsourcing.SnapshotTrigger;
import org.axonframework.eventsourcing.Snapshotter;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** On Axon's own unit of work: when the trigger asks, in which phase, and how it counts. */
class CommitTimeSnapshotTriggerDefinitionTest {

    /** What each snapshotter was asked, with the unit of work's phase then ("none" outside one). */
    private final List<String> asked = new CopyOnWriteArrayList<>();

    private Snapshotter snapshotter(String name) {
        return (type, id) -> asked.add(name + " " + id + " in "
                + (CurrentUnitOfWork.isStarted() ? CurrentUnitOfWork.get().phase() : "none"));
    }

    private final CommitTimeSnapshotTriggerDefinition definition =
            new CommitTimeSnapshotTriggerDefinition(snapshotter("held"), 3);

    @AfterEach
    void noUnitOfWorkLeft() {
        while (CurrentUnitOfWork.isStarted()) {
            CurrentUnitOfWork.get().rollback();
        }
    }

    private static GenericDomainEventMessage<String> event(long sequenceNumber) {
        return new GenericDomainEventMessage<>("Group", "g1", sequenceNumber, "event " + sequenceNumber);
    }

    @Test
    void aThresholdCrossedWhileTheGroupLoadsIsAskedForWhileTheCommandPreparesItsCommitNotAtItsCleanUp() {
        // given a command whose group is loaded from seven events (the threshold, 3, crossed twice)
        UnitOfWork<?> command = DefaultUnitOfWork.startAndGet(null);
        SnapshotTrigger trigger = definition.prepareTrigger(GroupAggregate.class);
        for (long sequenceNumber = 0; sequenceNumber < 7; sequenceNumber++) {
            trigger.eventHandled(event(sequenceNumber));
        }
        trigger.initializationFinished();
        // (as LockingRepository does: the lock's release is registered after the load, so it runs first at clean-up)
        command.onCleanup(unitOfWork -> asked.add("lock released"));

        // when the command commits
        assertThat(asked).isEmpty();
        command.commit();

        // then both were asked for before the commit, while the group's lock was still held
        assertThat(asked).containsExactly("held g1 in PREPARE_COMMIT", "held g1 in PREPARE_COMMIT", "lock released");
    }

    @Test
    void aCommandRolledBackAsksForNoSnapshot() {
        UnitOfWork<?> command = DefaultUnitOfWork.startAndGet(null);
        SnapshotTrigger trigger = definition.prepareTrigger(GroupAggregate.class);
        for (long sequenceNumber = 0; sequenceNumber < 3; sequenceNumber++) {
            trigger.eventHandled(event(sequenceNumber));
        }

        command.rollback();

        assertThat(asked).isEmpty();
    }

    @Test
    void outsideACommandItAsksAtOnceAndItCountsOnlyTheGroupsOwnEvents() {
        SnapshotTrigger trigger = definition.prepareTrigger(GroupAggregate.class);
        trigger.eventHandled(event(0));
        trigger.eventHandled(GenericEventMessage.asEventMessage("published beside the group, not one of its own"));
        trigger.eventHandled(event(1));
        assertThat(asked).isEmpty();

        trigger.eventHandled(event(2));

        assertThat(asked).containsExactly("held g1 in none");
    }

    @Test
    void aCachedGroupsTriggerKeepsItsCountAndAsksTheSnapshotterItIsReconfiguredWith() {
        SnapshotTrigger cached = definition.prepareTrigger(GroupAggregate.class);
        cached.eventHandled(event(0));
        cached.eventHandled(event(1));

        SnapshotTrigger reconfigured = new CommitTimeSnapshotTriggerDefinition(snapshotter("other"), 3)
                .reconfigure(GroupAggregate.class, cached);
        reconfigured.eventHandled(event(2));

        assertThat(reconfigured).isSameAs(cached);
        assertThat(asked).containsExactly("other g1 in none");
    }
}
