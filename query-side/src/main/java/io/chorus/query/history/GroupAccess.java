package io.chorus.query.history;

import io.chorus.api.MembershipLookup;
import io.chorus.web.problem.Problems;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Who may read a group, read-your-writes: a write acknowledged to the caller is committed, so it is at or below the
 * group's last seq in the event store. Reads that and the caller's access in one statement, then waits (briefly)
 * until PostgreSQL's read model has reached that seq, so that the membership is current too. Reads fail closed: a
 * read model still behind after the wait answers 503 ({@link #behind}), never a page or a group judged on an older
 * membership. Push ({@link #membership}) may use an older one: it checks every event after it for a removal.
 */
@Component
class GroupAccess implements MembershipLookup {

    /** How long a read waits for the projection to reach the group's last committed event. */
    private static final Duration CATCH_UP = Duration.ofSeconds(2);

    /** The first and the longest pause between two looks at the read model while waiting. */
    private static final long FIRST_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private static final long MAX_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final JdbcTemplate jdbc;
    private final PostgresHistoryReader postgres;
    private final EventStore eventStore;
    private final HistoryProgress progress;
    /** Events live in Axon Server, not in PostgreSQL: the last committed seq is asked of the event store. */
    private final boolean axonServer;

    GroupAccess(
            JdbcTemplate jdbc,
            PostgresHistoryReader postgres,
            EventStore eventStore,
            HistoryProgress progress,
            @Value("${axon.axonserver.enabled:false}") boolean axonServer) {
        this.jdbc = jdbc;
        this.postgres = postgres;
        this.eventStore = eventStore;
        this.progress = progress;
        this.axonServer = axonServer;
    }

    /**
     * The group's last committed seq (from the event store), the read model's last seq of the group, and the
     * caller's role in it ("" when not a member; {@code known} false when the read model has no such group).
     */
    record Access(long committed, boolean known, long lastSeq, String role) {

        /**
         * Whether the read model has every event of the group committed before the read, so that the role is the
         * caller's current one. When not, a read is refused ({@link #behind}): a membership older than the caller's
         * last membership event would let a removed member read on, or refuse one who just joined.
         */
        boolean current() {
            return lastSeq >= committed;
        }
    }

    /** The answer to a read whose group's read model did not catch up in time: try again shortly. */
    static ResponseEntity<ProblemDetail> behind(String groupId) {
        ProblemDetail problem = Problems.problem(
                HttpStatus.SERVICE_UNAVAILABLE,
                "the read model of group " + groupId + " is catching up; membership cannot be checked now");
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, "1")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem);
    }

    @Override
    public Optional<Membership> membership(String groupId, String userId) {
        Access access = access(groupId, userId);
        return access.role().isEmpty()
                ? Optional.empty()
                : Optional.of(new Membership(access.role(), access.lastSeq()));
    }

    Access access(String groupId, String userId) {
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        // watching before the first read: a commit between that read and the wait still wakes it
        try (HistoryProgress.Watch watch = progress.watch(groupId)) {
            Access access = first(groupId, userId);
            long recheck = FIRST_RECHECK_NANOS;
            while (!access.current()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                // a commit of this process's projection wakes the wait at once; one in another process is seen at
                // the next look, which comes less often the longer the wait lasts
                watch.await(Math.min(left, recheck));
                recheck = Math.min(recheck * 2, MAX_RECHECK_NANOS);
                access = again(groupId, userId, access);
            }
            return access;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the read model of group " + groupId, e);
        }
    }

    private Access first(String groupId, String userId) {
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
        return access;
    }

    private Access again(String groupId, String userId, Access before) {
        HistoryTables tables = postgres.tables();
        long committed = before.committed();
        return jdbc
                .query(
                        "select g.last_seq, coalesce(m.role, '') as role from " + tables.group() + " g left join "
                                + tables.member() + " m on m.group_id = g.group_id and m.user_id = ?"
                                + " where g.group_id = ?",
                        (rs, row) -> new Access(committed, true, rs.getLong("last_seq"), rs.getString("role")),
                        userId,
                        groupId)
                .stream()
                .findFirst()
                .orElse(before);
    }
}
