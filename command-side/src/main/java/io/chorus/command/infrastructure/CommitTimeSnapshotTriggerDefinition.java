package io.chorus.command.infrastructure;

import java.io.Serial;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.SnapshotTrigger;
import org.axonframework.eventsourcing.SnapshotTriggerDefinition;
import org.axonframework.eventsourcing.Snapshotter;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;

/**
 * A snapshot every {@code threshold} events of a group, always asked for while the command that loaded or changed the
 * group prepares its commit, so that the snapshotter runs before the command's clean-up releases the group's lock.
 *
 * <p>Axon's {@code EventCountSnapshotTriggerDefinition} asks at the command's clean-up instead when the threshold is
 * crossed while the group is loaded from its events (or for a group created in this process). For a loaded group that
 * is too late: {@code LockingRepository} registers the lock's release after the load, and clean-up runs its handlers
 * in reverse order, so the lock is gone first. The group's next command, waiting for the lock, then applied its event
 * to the very instance being serialized, and a snapshot could hold the state before an event at the sequence number
 * after it: the group's next event repeated a seq (seen in ChaosIT; reproduced by SnapshotIT).
 *
 * <p>With {@code spread}, each group's count starts at a phase of its own, from its identifier, below half the
 * threshold: its first snapshot after it is created (or loaded into the cache) comes after between half and all of
 * the threshold's events, and the next ones every threshold events. Groups that grow together (a bot posting to all
 * of them, a load test) would otherwise all be snapshotted within the same second, each serialized under its lock and
 * written in a transaction of its own, a burst that held every group's sends and pushes back (bench/push-benchmark.sh:
 * a hundred groups crossed 2,000 events together in the measured window). A group is still never loaded from more
 * than a threshold of events after its latest snapshot.
 */
final class CommitTimeSnapshotTriggerDefinition implements SnapshotTriggerDefinition {

    private final Snapshotter snapshotter;
    private final int threshold;
    private final boolean spread;

    CommitTimeSnapshotTriggerDefinition(Snapshotter snapshotter, int threshold, boolean spread) {
        if (threshold < 1) {
            throw new IllegalArgumentException("the snapshot threshold must be at least 1, not " + threshold);
        }
        this.snapshotter = snapshotter;
        this.threshold = threshold;
        this.spread = spread;
    }

    @Override
    public SnapshotTrigger prepareTrigger(Class<?> aggregateType) {
        return new Trigger(snapshotter, aggregateType, threshold, spread);
    }

    @Override
    public SnapshotTrigger reconfigure(Class<?> aggregateType, SnapshotTrigger trigger) {
        if (trigger instanceof Trigger ours) {
            ours.snapshotter = snapshotter;
            return ours;
        }
        return prepareTrigger(aggregateType);
    }

    /** Counts a group's events, those it is loaded from included; kept with the group in the cache. */
    static final class Trigger implements SnapshotTrigger, Serializable {

        @Serial
        private static final long serialVersionUID = 1L;

        private transient Snapshotter snapshotter;
        private final Class<?> aggregateType;
        private final int threshold;
        private int counter;
        /** Whether the group's phase has been added to the count (once its identifier is known), or needs none. */
        private boolean phased;

        Trigger(Snapshotter snapshotter, Class<?> aggregateType, int threshold, boolean spread) {
            this.snapshotter = snapshotter;
            this.aggregateType = aggregateType;
            this.threshold = threshold;
            this.phased = !spread;
        }

        @Override
        public void eventHandled(EventMessage<?> message) {
            if (!(message instanceof DomainEventMessage<?> event)) {
                return;
            }
            if (!phased && event.getAggregateIdentifier() != null) {
                // a created group's first event may not carry the identifier yet: its phase is added at the next
                phased = true;
                counter += phase(event.getAggregateIdentifier(), threshold);
            }
            if (++counter >= threshold) {
                counter = 0;
                if (CurrentUnitOfWork.isStarted() && CurrentUnitOfWork.get().phase() == UnitOfWork.Phase.STARTED) {
                    // the identifier is read then: a created group's first event has it only once it is applied
                    CurrentUnitOfWork.get().onPrepareCommit(unitOfWork -> schedule(event));
                } else {
                    schedule(event);
                }
            }
        }

        /**
         * Where a group's count starts, in [0, threshold / 2): from a digest of its identifier, since the identifiers'
         * own hash codes are close together for names that differ in a digit (group-1, group-2, …).
         */
        static int phase(String aggregateIdentifier, int threshold) {
            if (threshold < 2) {
                return 0;
            }
            UUID digest = UUID.nameUUIDFromBytes(aggregateIdentifier.getBytes(StandardCharsets.UTF_8));
            return (int) Math.floorMod(digest.getLeastSignificantBits(), (long) (threshold / 2));
        }

        private void schedule(DomainEventMessage<?> event) {
            snapshotter.scheduleSnapshot(aggregateType, event.getAggregateIdentifier());
        }

        @Override
        public void initializationFinished() {
            // counted the same while loading and after: the snapshot is asked for at the commit either way
        }
    }
}
