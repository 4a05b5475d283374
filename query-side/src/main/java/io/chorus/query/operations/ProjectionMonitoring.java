package io.chorus.query.operations;

import io.chorus.query.projection.ProjectionSlots;
import io.chorus.query.projection.ReplayCoordinator;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The projections for operators: as the health component {@code eventProcessors} (down when a projection's
 * processor failed) and as meters per projection: {@code chorus.projection.lag} (events of the stream not yet
 * applied), {@code chorus.projection.dead.letters} (groups parked in the dead-letter queue) and
 * {@code chorus.projection.replaying}. One reading of the projections' state serves every meter for a second.
 */
@Component("eventProcessors")
class ProjectionMonitoring implements HealthIndicator, MeterBinder {

    private static final long FRESH_NANOS = 1_000_000_000L;

    private final ReplayCoordinator replays;
    private final ProjectionSlots slots;
    private volatile List<ReplayCoordinator.Status> last = List.of();
    private volatile long readAt;

    ProjectionMonitoring(ReplayCoordinator replays, ProjectionSlots slots) {
        this.replays = replays;
        this.slots = slots;
    }

    @Override
    public Health health() {
        List<ReplayCoordinator.Status> projections = replays.status();
        Map<String, Object> details = new LinkedHashMap<>();
        boolean failed = false;
        for (ReplayCoordinator.Status projection : projections) {
            details.put(
                    projection.name(),
                    Map.of(
                            "status", projection.status(),
                            "lag", projection.lag() == null ? "unknown" : projection.lag(),
                            "deadLetters", projection.deadLetters()));
            failed |= projection.status().equals("failed");
        }
        return (failed ? Health.down() : Health.up()).withDetails(details).build();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (ProjectionSlots.State state : slots.all()) {
            String name = state.projection();
            gauge(
                    registry,
                    "chorus.projection.lag",
                    "events of the stream the projection has not applied yet",
                    name,
                    s -> s.lag() == null ? Double.NaN : s.lag());
            gauge(
                    registry,
                    "chorus.projection.dead.letters",
                    "groups parked in the projection's dead-letter queue",
                    name,
                    s -> s.deadLetters());
            gauge(
                    registry,
                    "chorus.projection.replaying",
                    "1 while the projection is being rebuilt",
                    name,
                    s -> s.status().equals("replaying") ? 1 : 0);
        }
    }

    private void gauge(
            MeterRegistry registry,
            String meter,
            String description,
            String projection,
            ToDoubleFunction<ReplayCoordinator.Status> value) {
        Gauge.builder(
                        meter,
                        this,
                        self -> self.status(projection)
                                .map(value::applyAsDouble)
                                .orElse(Double.NaN))
                .description(description)
                .tag("projection", projection)
                .register(registry);
    }

    private Optional<ReplayCoordinator.Status> status(String projection) {
        if (System.nanoTime() - readAt > FRESH_NANOS) {
            last = replays.status();
            readAt = System.nanoTime();
        }
        return last.stream().filter(s -> s.name().equals(projection)).findFirst();
    }
}
