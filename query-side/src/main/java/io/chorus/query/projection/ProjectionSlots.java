package io.chorus.query.projection;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Which slot of each projection serves reads and which one a replay is building, kept in the {@code
 * projection_slot} table so that every node agrees. Reads take the active slot from memory, refreshed by {@link
 * ReplayCoordinator} twice a second and at once on this node's own changes.
 */
@Component
public class ProjectionSlots {

    public static final List<String> SLOTS = List.of("a", "b");

    /** A projection's slots: the active one, the one being built (null when no replay runs). */
    public record State(String projection, String active, String building, Instant replayStartedAt, Long replayTarget) {

        public boolean replaying() {
            return building != null;
        }

        /** The slot a replay would build. */
        public String other() {
            return active.equals("a") ? "b" : "a";
        }

        public boolean wanted(String slot) {
            return slot.equals(active) || slot.equals(building);
        }
    }

    private final JdbcTemplate jdbc;
    private volatile Map<String, State> states;

    public ProjectionSlots(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        refresh();
    }

    /** The slot that serves reads of the projection. */
    public String active(String projection) {
        return state(projection).active();
    }

    public State state(String projection) {
        State state = states.get(projection);
        if (state == null) {
            throw new IllegalArgumentException("no projection " + projection);
        }
        return state;
    }

    public Optional<State> find(String projection) {
        return Optional.ofNullable(states.get(projection));
    }

    public List<State> all() {
        return states.values().stream()
                .sorted((x, y) -> x.projection().compareTo(y.projection()))
                .toList();
    }

    public void refresh() {
        states = jdbc
                .query(
                        "select name, active, building, replay_started_at, replay_target from projection_slot",
                        (rs, row) -> new State(
                                rs.getString("name"),
                                rs.getString("active"),
                                rs.getString("building"),
                                Optional.ofNullable(rs.getTimestamp("replay_started_at"))
                                        .map(t -> t.toInstant())
                                        .orElse(null),
                                (Long) rs.getObject("replay_target")))
                .stream()
                .collect(Collectors.toUnmodifiableMap(State::projection, Function.identity()));
    }

    /** Marks the other slot as being built; false when a replay of the projection already runs. */
    boolean startBuilding(String projection, String slot, long replayTarget) {
        int updated = jdbc.update(
                "update projection_slot set building = ?, replay_started_at = now(), replay_target = ?"
                        + " where name = ? and building is null and active <> ?",
                slot,
                replayTarget,
                projection,
                slot);
        refresh();
        return updated == 1;
    }

    /** Makes the built slot the active one; false when another node switched first. */
    boolean switchTo(String projection, String slot) {
        int updated = jdbc.update(
                "update projection_slot set active = building, building = null, replay_started_at = null,"
                        + " replay_target = null where name = ? and building = ?",
                projection,
                slot);
        refresh();
        return updated == 1;
    }
}
