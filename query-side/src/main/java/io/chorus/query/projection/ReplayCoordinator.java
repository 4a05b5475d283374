package io.chorus.query.projection;

import io.chorus.query.projection.ProjectionSlots.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.axonframework.common.stream.BlockingStream;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.AbstractEventProcessor;
import org.axonframework.eventhandling.EventHandlerInvoker;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.ReplayToken;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.WrappedToken;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.UnableToClaimTokenException;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.ResultMessage;
import org.axonframework.messaging.deadletter.SequencedDeadLetterQueue;
import org.axonframework.messaging.unitofwork.BatchingUnitOfWork;
import org.axonframework.messaging.unitofwork.RollbackConfigurationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Zero-downtime replay. A projection's active slot serves reads while a replay builds the other slot from the first
 * event: in bulk up to the head of the stream ({@link #rebuild}), then with the slot's own processor; once every
 * segment of that processor has caught up with the live stream, the
 * built slot becomes the active one (one row update, seen by reads at once on this node and within half a second on
 * others), the old processor stops and, a little later, the old slot is emptied.
 *
 * <p>One thread does all of it, every half second: it starts the processors a slot needs and stops the others, so
 * a processor of a slot nobody uses never runs, even after a restart.
 */
@Component
public class ReplayCoordinator implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ReplayCoordinator.class);

    /** How long an old slot is kept after a switch, for reads that already chose it. */
    private static final Duration KEEP_OLD_SLOT = Duration.ofSeconds(5);

    /** Events per unit of work and transaction in the bulk of a replay. */
    private static final int BULK_BATCH = 1000;

    private final ProjectionSlots slots;
    private final EventProcessingConfiguration processing;
    private final Map<String, SlotProjection> projections = new ConcurrentHashMap<>();
    private final JdbcTemplate jdbc;
    private final EventStore eventStore;
    private final TokenStore tokenStore;
    private final TransactionManager transactions;
    private final Environment environment;
    private final Map<String, Long> oldSlotDue = new ConcurrentHashMap<>();

    /** The position a bulk rebuild has reached, per projection, while it runs. */
    private final Map<String, Long> bulk = new ConcurrentHashMap<>();

    private volatile ScheduledExecutorService executor;
    private volatile ExecutorService bulkExecutor;

    /** Events live in Axon Server (the distributed mode), not in PostgreSQL's event table. */
    private final boolean axonServer;

    public ReplayCoordinator(
            ProjectionSlots slots,
            EventProcessingConfiguration processing,
            List<SlotProjection> slotProjections,
            JdbcTemplate jdbc,
            EventStore eventStore,
            TokenStore tokenStore,
            TransactionManager transactions,
            Environment environment) {
        this.slots = slots;
        this.processing = processing;
        this.jdbc = jdbc;
        this.eventStore = eventStore;
        this.tokenStore = tokenStore;
        this.transactions = transactions;
        this.environment = environment;
        this.axonServer = environment.getProperty("axon.axonserver.enabled", Boolean.class, false);
        slotProjections.forEach(p -> projections.put(SlotProjection.processorName(p.projection(), p.slot()), p));
    }

    /** What the admin API shows of a projection. */
    public record Status(
            String name,
            Long position,
            Long lag,
            String status,
            Double progress,
            String activeSlot,
            String buildingSlot,
            long deadLetters) {}

    /**
     * Starts a replay of the projection into its other slot; false when one already runs.
     *
     * @throws IllegalArgumentException when there is no such projection
     */
    public boolean replay(String projection) {
        slots.refresh();
        State state = slots.find(projection)
                .orElseThrow(() -> new IllegalArgumentException("no projection named " + projection));
        if (state.replaying()) {
            return false;
        }
        ScheduledExecutorService running = executor;
        if (running == null) {
            throw new IllegalStateException("projections are not running (starting or stopping)");
        }
        try {
            return running.submit(() -> startReplay(state)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting a replay", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("starting the replay of " + projection + " failed", e.getCause());
        }
    }

    private boolean startReplay(State state) {
        String slot = state.other();
        processor(state.projection(), slot).ifPresent(StreamingEventProcessor::shutDown);
        forget(state.projection(), slot);
        long head = headIndex();
        if (!slots.startBuilding(state.projection(), slot, head)) {
            return false;
        }
        log.info("replay of {} started: building slot {} up to event {} and on", state.projection(), slot, head);
        bulk.put(state.projection(), 0L);
        bulkExecutor.execute(() -> rebuild(state.projection(), slot));
        return true;
    }

    /**
     * The bulk of a replay, without Axon's pooled processor (whose coordinator, once a work package holds 1,024
     * events, waits 100 ms, which held rebuilds near 13,000 events/s): reads the stream from the first event and
     * hands the slot's handlers 1,000 events per unit of work and transaction, until it reaches the head. Then the
     * slot's processor takes over from the last event applied (a replay token, so Axon's replay flag stays on until
     * it passes the events that existed when the replay started). A batch that fails is tried once more (its events
     * then one by one, the failing one parked in the dead-letter queue); if it fails again (Redis away, say), the bulk
     * stops there and the processor goes on from the last batch applied, retrying as it does for live events.
     */
    private void rebuild(String projection, String slot) {
        String name = SlotProjection.processorName(projection, slot);
        // the processor's own invoker: a failing event goes to its dead-letter queue, as in the processor
        EventHandlerInvoker handlers = processing
                .eventProcessor(name, AbstractEventProcessor.class)
                .map(AbstractEventProcessor::eventHandlerInvoker)
                .orElseThrow(() -> new IllegalStateException("no processor " + name));
        TrackingToken head = eventStore.createHeadToken();
        TrackingToken last = null;
        long start = System.nanoTime();
        long events = 0;
        try (BlockingStream<TrackedEventMessage<?>> stream = eventStore.openStream(null)) {
            List<TrackedEventMessage<?>> batch = new ArrayList<>(BULK_BATCH);
            while (executor != null && slot.equals(slots.state(projection).building())) {
                batch.clear();
                while (batch.size() < BULK_BATCH && stream.hasNextAvailable()) {
                    batch.add(stream.nextAvailable());
                }
                if (batch.isEmpty()) {
                    break;
                }
                // a batch that fails once is tried again: its events are then applied one by one (see
                // HistoryProjection), and the one that fails is parked
                ResultMessage<?> result = apply(handlers, batch);
                if (result.isExceptional()) {
                    result = apply(handlers, batch);
                }
                if (result.isExceptional()) {
                    log.warn(
                            "bulk replay of {} stopped after {} events; its processor goes on from there: {}",
                            projection,
                            events,
                            result.exceptionResult().toString());
                    break;
                }
                last = batch.get(batch.size() - 1).trackingToken();
                events += batch.size();
                bulk.put(projection, last.position().orElse(0));
            }
        } catch (Exception e) {
            log.warn(
                    "bulk replay of {} stopped after {} events; its processor goes on from there",
                    projection,
                    events,
                    e);
        } finally {
            TrackingToken from = last == null ? null : ReplayToken.createReplayToken(head, last);
            int segments = environment.getProperty(
                    "axon.eventhandling.processors." + name + ".initial-segment-count", Integer.class, 1);
            try {
                if (from != null) {
                    transactions.executeInTransaction(() -> tokenStore.initializeTokenSegments(name, segments, from));
                }
                log.info(
                        "bulk replay of {}: {} events in {} ms; slot {}'s processor follows on",
                        projection,
                        events,
                        (System.nanoTime() - start) / 1_000_000,
                        slot);
            } catch (RuntimeException e) {
                if (!(e instanceof UnableToClaimTokenException) && !duplicateKey(e)) {
                    throw e;
                }
                // the slot's processor was started meanwhile (by the reconciler) and made its own tokens: a replay
                // from the first event, as its initial token says; it applies again what the bulk applied, which
                // changes nothing (every write is idempotent), and the switch waits for it as for any processor
                log.info(
                        "bulk replay of {}: slot {}'s processor had started from its own tokens and goes on from them",
                        projection,
                        slot);
            } finally {
                bulk.remove(projection);
            }
        }
    }

    /**
     * Whether the token store refused the tokens because they exist already: the slot's processor on another node
     * (or this one) made its own first, which Axon's JPA store reports as a constraint violation rather than as
     * {@link UnableToClaimTokenException}.
     */
    private static boolean duplicateKey(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private ResultMessage<?> apply(EventHandlerInvoker handlers, List<TrackedEventMessage<?>> batch) {
        BatchingUnitOfWork<TrackedEventMessage<?>> unitOfWork = new BatchingUnitOfWork<>(batch);
        unitOfWork.attachTransaction(transactions);
        return unitOfWork.executeWithResult(
                () -> {
                    handlers.handle(unitOfWork.getMessage(), Segment.ROOT_SEGMENT);
                    return null;
                },
                RollbackConfigurationType.ANY_THROWABLE);
    }

    /** Empties a slot and drops its processor's tokens and dead letters, so that it starts again from the first event. */
    private void forget(String projection, String slot) {
        String name = SlotProjection.processorName(projection, slot);
        projections.get(name).clear();
        jdbc.update("delete from token_entry where processor_name = ?", name);
        jdbc.update("delete from dead_letter_entry where processing_group = ?", name);
    }

    /**
     * Whether some node holds a segment of the slot's processor. Axon keeps a processor's error flag raised after an
     * outage until it processes again, so a node whose segments other nodes claimed meanwhile would look failed for
     * good; it is idle, not failing, while another node processes.
     */
    private boolean claimedByAnyNode(String projection, String slot) {
        return Boolean.TRUE.equals(jdbc.queryForObject(
                "select exists (select 1 from token_entry where processor_name = ? and owner is not null)",
                Boolean.class,
                SlotProjection.processorName(projection, slot)));
    }

    /** The global index of the newest event in the store. */
    private long headIndex() {
        if (axonServer && eventStore.createHeadToken() instanceof GlobalSequenceTrackingToken head) {
            // Axon Server's stream (the distributed mode): its head is the last event's index; on PostgreSQL the
            // head token (a commit-order horizon) would cost a query and carry no index
            return head.getGlobalIndex();
        }
        return jdbc.queryForObject("select coalesce(max(global_index), 0) from domain_event_entry", Long.class);
    }

    public List<Status> status() {
        long head = headIndex();
        return slots.all().stream().map(state -> status(state, head)).toList();
    }

    private Status status(State state, long head) {
        String shown = state.replaying() ? state.building() : state.active();
        Optional<StreamingEventProcessor> processor = processor(state.projection(), shown);
        Map<Integer, EventTrackerStatus> segments =
                processor.map(StreamingEventProcessor::processingStatus).orElse(Map.of());
        OptionalLong lowest = lowestPosition(segments);
        Long position = bulk.containsKey(state.projection())
                ? bulk.get(state.projection())
                : lowest.isPresent() ? lowest.getAsLong() : null;
        boolean failed = segments.values().stream().anyMatch(EventTrackerStatus::isErrorState)
                || (processor.map(StreamingEventProcessor::isError).orElse(false)
                        && (!segments.isEmpty() || !claimedByAnyNode(state.projection(), shown)));
        String status = failed ? "failed" : state.replaying() ? "replaying" : "live";
        Double progress = null;
        if (state.replaying()) {
            long target = state.replayTarget() == null ? 0 : state.replayTarget();
            progress = target == 0 ? 1.0 : Math.min(1.0, (position == null ? 0 : position) / (double) target);
        }
        long deadLetters = processing
                .deadLetterQueue(SlotProjection.processorName(state.projection(), shown))
                .map(SequencedDeadLetterQueue::amountOfSequences)
                .orElse(0L);
        return new Status(
                state.projection(),
                position,
                position == null ? null : Math.max(0, head - position),
                status,
                progress,
                state.active(),
                state.building(),
                deadLetters);
    }

    private Optional<StreamingEventProcessor> processor(String projection, String slot) {
        return processing.eventProcessor(SlotProjection.processorName(projection, slot), StreamingEventProcessor.class);
    }

    /**
     * Every segment of the building processor runs here, without error, and has caught up with the live stream:
     * it has read to the head of the stream (a quiet system), or it has left the replay (it handles events
     * committed after the replay started) and reached the live processor's position (a busy one, whose stream
     * never runs dry long enough to count as read to the head).
     */
    private boolean caughtUp(State state) {
        Optional<StreamingEventProcessor> building = processor(state.projection(), state.building());
        if (building.isEmpty() || !building.get().isRunning()) {
            return false;
        }
        int segments = jdbc.queryForObject(
                "select count(*) from token_entry where processor_name = ?",
                Integer.class,
                SlotProjection.processorName(state.projection(), state.building()));
        Map<Integer, EventTrackerStatus> status = building.get().processingStatus();
        if (segments == 0
                || status.size() != segments
                || status.values().stream().anyMatch(s -> s.isErrorState())) {
            return false;
        }
        if (status.values().stream().allMatch(EventTrackerStatus::isCaughtUp)) {
            return true;
        }
        if (status.values().stream().anyMatch(EventTrackerStatus::isReplaying)) {
            return false;
        }
        Map<Integer, EventTrackerStatus> live = processor(state.projection(), state.active())
                .map(StreamingEventProcessor::processingStatus)
                .orElse(Map.of());
        return hasEverythingOf(tokens(status), tokens(live));
    }

    private static List<TrackingToken> tokens(Map<Integer, EventTrackerStatus> segments) {
        return segments.values().stream()
                .map(EventTrackerStatus::getTrackingToken)
                .toList();
    }

    /**
     * Whether the building slot has handled every event the live one has: the least advanced of its segments
     * covers the most advanced of the live one's. Tokens are compared, not their positions: on PostgreSQL a
     * position is a global index, which is not commit order (a late commit carries a lower index), so a building
     * slot past the live one's index may still lack an event the live one has.
     */
    static boolean hasEverythingOf(List<TrackingToken> building, List<TrackingToken> live) {
        if (building.isEmpty()
                || live.isEmpty()
                || building.stream().anyMatch(Objects::isNull)
                || live.stream().anyMatch(Objects::isNull)) {
            return false;
        }
        TrackingToken least = building.stream()
                .map(WrappedToken::unwrapLowerBound)
                .reduce(TrackingToken::lowerBound)
                .orElseThrow();
        TrackingToken most = live.stream()
                .map(WrappedToken::unwrapUpperBound)
                .reduce(TrackingToken::upperBound)
                .orElseThrow();
        return least.covers(most);
    }

    private static OptionalLong lowestPosition(Map<Integer, EventTrackerStatus> segments) {
        return segments.values().stream()
                .map(EventTrackerStatus::getCurrentPosition)
                .filter(OptionalLong::isPresent)
                .mapToLong(OptionalLong::getAsLong)
                .min();
    }

    private void reconcile() {
        try {
            slots.refresh();
            for (State state : slots.all()) {
                for (String slot : ProjectionSlots.SLOTS) {
                    processor(state.projection(), slot).ifPresent(processor -> {
                        boolean wanted = state.wanted(slot)
                                && !(slot.equals(state.building()) && bulk.containsKey(state.projection()));
                        if (wanted && !processor.isRunning()) {
                            processor.start();
                        } else if (!wanted && processor.isRunning()) {
                            processor.shutDown();
                        }
                    });
                }
                if (state.replaying() && caughtUp(state)) {
                    switchOver(state);
                }
                emptyOldSlot(state);
            }
        } catch (RuntimeException e) {
            log.warn("reconciling the projections' processors failed; trying again", e);
        }
    }

    private void switchOver(State state) {
        if (slots.switchTo(state.projection(), state.building())) {
            log.info(
                    "replay of {} caught up: slot {} now serves reads, slot {} retires",
                    state.projection(),
                    state.building(),
                    state.active());
            processor(state.projection(), state.active()).ifPresent(StreamingEventProcessor::shutDown);
            oldSlotDue.put(state.projection(), System.nanoTime() + KEEP_OLD_SLOT.toNanos());
        }
    }

    private void emptyOldSlot(State state) {
        Long due = oldSlotDue.get(state.projection());
        if (due != null && System.nanoTime() - due >= 0) {
            oldSlotDue.remove(state.projection());
            String old = state.other();
            if (!state.wanted(old)) {
                forget(state.projection(), old);
            }
        }
    }

    @Override
    public void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "projection-slots");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::reconcile, 0, 500, TimeUnit.MILLISECONDS);
        bulkExecutor = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "projection-rebuild");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public void stop() {
        ScheduledExecutorService running = executor;
        executor = null;
        if (bulkExecutor != null) {
            bulkExecutor.shutdownNow();
        }
        if (running != null) {
            running.shutdownNow();
            try {
                running.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return executor != null;
    }

    /** Starts after Axon's processors, stops before them. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1000;
    }
}
