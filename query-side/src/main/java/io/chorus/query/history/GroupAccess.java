package io.chorus.query.history;

import io.chorus.api.MembershipLookup;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Who may read a group, read-your-writes: a write acknowledged to the caller is committed, so it is at or below the
 * group's last seq in the event store. Reads that and the caller's access in one statement, then waits (briefly)
 * until PostgreSQL's read model has reached that seq, so that the membership is current too.
 */
@Component
class GroupAccess implements MembershipLookup {

    /** How long a read waits for the projection to reach the group's last committed event. */
    private static final Duration CATCH_UP = Duration.ofSeconds(2);

    private final JdbcTemplate jdbc;
    private final PostgresHistoryReader postgres;
    private final EventStore eventStore;
    /** Events live in Axon Server, not in PostgreSQL: the last committed seq is asked of the event store. */
    private final boolean axonServer;

    GroupAccess(
            JdbcTemplate jdbc,
            PostgresHistoryReader postgres,
            EventStore eventStore,
            @Value("${axon.axonserver.enabled:false}") boolean axonServer) {
        this.jdbc = jdbc;
        this.postgres = postgres;
        this.eventStore = eventStore;
        this.axonServer = axonServer;
    }

    /**
     * The group's last committed seq (from the event store), the read model's last seq of the group, and the
     * caller's role in it ("" when not a member; {@code known} false when the read model has no such group).
     */
    record Access(long committed, boolean known, long lastSeq, String role) {}

    @Override
    public Optional<Membership> membership(String groupId, String userId) {
        Access access = access(groupId, userId);
        return access.role().isEmpty()
                ? Optional.empty()
                : Optional.of(new Membership(access.role(), access.lastSeq()));
    }

    Access access(String groupId, String userId) {
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        HistoryTables tables = postgres.tables();
        // the event store is Axon's table; one statement instead of EventStore.lastSequenceNumberFor, whose JPA
        // transaction cost more than the rest of a recent read (profiled with bench/read-benchmark.sh)
        Access access = jdbc.queryForObject(
                "select (select max(sequence_number) from domain_event_entry where aggregate_identifier = ?)"
                        + " as committed, g.group_id is not null as known, coalesce(g.last_seq, 0) as last_seq,"
                        + " coalesce(m.role, '') as role from (select 1) one"
                        + " left join " + tables.group() + " g on g.group_id = ?"
                        + " left join " + tables.member() + " m on m.group_id = g.group_id and m.user_id = ?",
                (rs, row) -> {
                    long committed = rs.getLong("committed");
                    return new Access(
                            rs.wasNull() ? 0 : committed + 1,
                            rs.getBoolean("known"),
                            rs.getLong("last_seq"),
                            rs.getString("role"));
                },
                groupId,
                groupId,
                userId);
        if (axonServer) {
            long committed =
                    eventStore.lastSequenceNumberFor(groupId).map(n -> n + 1).orElse(0L);
            access = new Access(committed, access.known(), access.lastSeq(), access.role());
        }
        while (access.lastSeq() < access.committed() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            long committed = access.committed();
            access = jdbc
                    .query(
                            "select g.last_seq, coalesce(m.role, '') as role from " + tables.group() + " g left join "
                                    + tables.member()
                                    + " m on m.group_id = g.group_id and m.user_id = ? where g.group_id = ?",
                            (rs, row) -> new Access(committed, true, rs.getLong("last_seq"), rs.getString("role")),
                            userId,
                            groupId)
                    .stream()
                    .findFirst()
                    .orElse(access);
        }
        return access;
    }
}
