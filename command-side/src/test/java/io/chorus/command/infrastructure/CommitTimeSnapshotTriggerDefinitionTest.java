package io.chorus.command.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.command.group.GroupAggregate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
            new CommitTimeSnapshotTriggerDefinition(snapshotter("held"), 3, true);

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

        SnapshotTrigger reconfigured = new CommitTimeSnapshotTriggerDefinition(snapshotter("other"), 3, true)
                .reconfigure(GroupAggregate.class, cached);
        reconfigured.eventHandled(event(2));

        assertThat(reconfigured).isSameAs(cached);
        assertThat(asked).containsExactly("other g1 in none");
    }

    @Test
    void groupsThatGrowTogetherAreSnapshottedApartEachAtLeastEveryThreshold() {
        // given a hundred groups, each with its own trigger, at the default threshold
        int threshold = 2_000;
        Map<String, List<Long>> askedAt = new HashMap<>();
        long[] handled = new long[1];
        CommitTimeSnapshotTriggerDefinition definition = new CommitTimeSnapshotTriggerDefinition(
                (type, id) ->
                        askedAt.computeIfAbsent(id, g -> new ArrayList<>()).add(handled[0]),
                threshold,
                true);
        Map<String, SnapshotTrigger> triggers = new LinkedHashMap<>();
        for (int g = 0; g < 100; g++) {
            triggers.put("group-" + g, definition.prepareTrigger(GroupAggregate.class));
        }

        // when they grow in lockstep, one event each in turn, to three thresholds' events
        for (long sequenceNumber = 0; sequenceNumber < 3 * threshold; sequenceNumber++) {
            handled[0] = sequenceNumber + 1;
            for (Map.Entry<String, SnapshotTrigger> group : triggers.entrySet()) {
                group.getValue()
                        .eventHandled(new GenericDomainEventMessage<>("Group", group.getKey(), sequenceNumber, "e"));
            }
        }

        // then each group's first snapshot comes after between half and all of the threshold's events, then one every
        // threshold events; and no more than a few groups are snapshotted at the same event
        assertThat(askedAt).hasSize(100);
        askedAt.forEach((group, at) -> {
            assertThat(at.get(0)).isBetween((long) threshold / 2 + 1, (long) threshold);
            for (int i = 1; i < at.size(); i++) {
                assertThat(at.get(i) - at.get(i - 1)).isEqualTo(threshold);
            }
            assertThat(at).hasSizeBetween(2, 3);
        });
        Map<Long, Long> groupsPerEvent =
                askedAt.values().stream().collect(Collectors.groupingBy(at -> at.get(0), Collectors.counting()));
        assertThat(groupsPerEvent.values())
                .allSatisfy(groups -> assertThat(groups).isLessThanOrEqualTo(3));
    }

    @Test
    void aCreatedGroupsFirstEventWithoutItsIdentifierGetsItsPhaseAtTheNextEvent() {
        // given a threshold of 10: phases in [0, 5); this group's phase is 3
        String group = Stream.iterate(0, i -> i + 1)
                .map(i -> "created-" + i)
                .filter(id -> CommitTimeSnapshotTriggerDefinition.Trigger.phase(id, 10) == 3)
                .findFirst()
                .orElseThrow();
        List<Long> askedAt = new ArrayList<>();
        long[] handled = new long[1];
        SnapshotTrigger trigger = new CommitTimeSnapshotTriggerDefinition(
                        (type, id) -> askedAt.add(handled[0]), 10, true)
                .prepareTrigger(GroupAggregate.class);

        // when its creation event carries no identifier yet, and the events after it do
        handled[0] = 1;
        trigger.eventHandled(new GenericDomainEventMessage<>("Group", null, 0, "created"));
        for (long sequenceNumber = 1; sequenceNumber < 20; sequenceNumber++) {
            handled[0] = sequenceNumber + 1;
            trigger.eventHandled(new GenericDomainEventMessage<>("Group", group, sequenceNumber, "e"));
        }

        // then its count starts at its phase from the second event: snapshots after the 7th and the 17th events
        assertThat(askedAt).containsExactly(7L, 17L);
    }

    @Test
    void unspreadEveryGroupIsSnapshottedAtTheThreshold() {
        List<String> at = new ArrayList<>();
        CommitTimeSnapshotTriggerDefinition definition =
                new CommitTimeSnapshotTriggerDefinition((type, id) -> at.add(id), 10, false);
        for (String group : List.of("a", "b", "c")) {
            SnapshotTrigger trigger = definition.prepareTrigger(GroupAggregate.class);
            for (long sequenceNumber = 0; sequenceNumber < 9; sequenceNumber++) {
                trigger.eventHandled(new GenericDomainEventMessage<>("Group", group, sequenceNumber, "e"));
            }
            assertThat(at).doesNotContain(group);

            trigger.eventHandled(new GenericDomainEventMessage<>("Group", group, 9, "e"));

            assertThat(at).endsWith(group);
        }
    }
}
