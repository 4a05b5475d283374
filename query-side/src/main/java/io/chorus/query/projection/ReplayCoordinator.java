package io.chorus.query.projection;

import io.chorus.query.projection.ProjectionSlots.State;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Zero-downtime replay. A projection's active slot serves reads while a replay builds the other slot from the first
 * event with a second processor; once every segment of that processor has caught up with the live stream, the
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

    private final ProjectionSlots slots;
    private final EventProcessingConfiguration processing;
    private final Map<String, SlotProjection> projections = new ConcurrentHashMap<>();
    private final JdbcTemplate jdbc;
    private final Map<String, Long> oldSlotDue = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService executor;

    public ReplayCoordinator(
            ProjectionSlots slots,
            EventProcessingConfiguration processing,
            List<SlotProjection> slotProjections,
            JdbcTemplate jdbc) {
        this.slots = slots;
        this.processing = processing;
        this.jdbc = jdbc;
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
        long head = jdbc.queryForObject("select coalesce(max(global_index), 0) from domain_event_entry", Long.class);
        if (!slots.startBuilding(state.projection(), slot, head)) {
            return false;
        }
        log.info("replay of {} started: building slot {} up to event {} and on", state.projection(), slot, head);
        processor(state.projection(), slot).ifPresent(StreamingEventProcessor::start);
        return true;
    }

    /** Empties a slot and drops its processor's tokens and dead letters, so that it starts again from the first event. */
    private void forget(String projection, String slot) {
        String name = SlotProjection.processorName(projection, slot);
        projections.get(name).clear();
        jdbc.update("delete from token_entry where processor_name = ?", name);
        jdbc.update("delete from dead_letter_entry where processing_group = ?", name);
    }

    public List<Status> status() {
        long head = jdbc.queryForObject("select coalesce(max(global_index), 0) from domain_event_entry", Long.class);
        return slots.all().stream().map(state -> status(state, head)).toList();
    }

    private Status status(State state, long head) {
        String shown = state.replaying() ? state.building() : state.active();
        Optional<StreamingEventProcessor> processor = processor(state.projection(), shown);
        Map<Integer, EventTrackerStatus> segments =
                processor.map(StreamingEventProcessor::processingStatus).orElse(Map.of());
        OptionalLong lowest = lowestPosition(processor);
        Long position = lowest.isPresent() ? lowest.getAsLong() : null;
        boolean failed = processor.map(StreamingEventProcessor::isError).orElse(false)
                || segments.values().stream().anyMatch(EventTrackerStatus::isErrorState);
        String status = failed ? "failed" : state.replaying() ? "replaying" : "live";
        Double progress = null;
        if (state.replaying()) {
            long target = state.replayTarget() == null ? 0 : state.replayTarget();
            progress = target == 0 ? 1.0 : Math.min(1.0, (position == null ? 0 : position) / (double) target);
        }
        long deadLetters = jdbc.queryForObject(
                "select count(distinct sequence_identifier) from dead_letter_entry where processing_group = ?",
                Long.class,
                SlotProjection.processorName(state.projection(), shown));
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
        OptionalLong live = lowestPosition(processor(state.projection(), state.active()));
        OptionalLong built = lowestPosition(building);
        return live.isPresent() && built.isPresent() && built.getAsLong() >= live.getAsLong();
    }

    private static OptionalLong lowestPosition(Optional<StreamingEventProcessor> processor) {
        return processor.map(StreamingEventProcessor::processingStatus).orElse(Map.of()).values().stream()
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
                        boolean wanted = state.wanted(slot);
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
    }

    @Override
    public void stop() {
        ScheduledExecutorService running = executor;
        executor = null;
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
