package io.chorus.query.history;

import io.chorus.api.Identifiers;
import io.chorus.web.problem.Problems;
import java.security.Principal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Pages of a group's history in ascending seq: the newest page by default, or the page after or before a seq.
 * Members only. Recent pages come from the Redis window when it holds the whole page and is current; every other
 * page, and every page while Redis is down or cold, from PostgreSQL (header {@code Chorus-Read-From}). A page
 * includes every event of the group committed before the read (header {@code Chorus-Stale: false}): the read waits
 * up to 2 s for PostgreSQL to catch up; past that it answers what it has with {@code Chorus-Stale: true}.
 */
@RestController
class HistoryQueryController {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;

    /** How long a read waits for the projection to reach the group's last committed event. */
    private static final Duration CATCH_UP = Duration.ofSeconds(2);

    private final JdbcTemplate jdbc;
    private final PostgresHistoryReader postgres;
    private final List<CachedHistoryReader> caches;

    HistoryQueryController(
            JdbcTemplate jdbc, PostgresHistoryReader postgres, ObjectProvider<CachedHistoryReader> caches) {
        this.jdbc = jdbc;
        this.postgres = postgres;
        this.caches = caches.orderedStream().toList();
    }

    /**
     * The group's last committed seq (from the event store), the read model's last seq of the group, and the
     * caller's role in it ("" when not a member; {@code known} false when the read model has no such group).
     */
    private record Access(long committed, boolean known, long lastSeq, String role) {}

    /**
     * Read-your-writes: a write acknowledged to the caller is committed, so it is at or below the group's last seq
     * in the event store. Reads that and the caller's access in one statement, then waits (briefly) until
     * PostgreSQL's read model has reached that seq, so that the membership is current too.
     */
    private Access access(String groupId, String userId) {
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

    @GetMapping("/api/groups/{groupId}/messages")
    ResponseEntity<?> messages(
            @PathVariable String groupId,
            @RequestParam(required = false) Long after,
            @RequestParam(required = false) Long before,
            @RequestParam(required = false) Integer limit,
            Principal caller) {
        if (!Identifiers.isGroupId(groupId)) {
            return Problems.badField("groupId", Identifiers.GROUP_ID_RULE);
        }
        if (after != null && before != null) {
            return Problems.badField("after", "give after or before, not both");
        }
        if (after != null && after < 0) {
            return Problems.badField("after", "must be 0 or more");
        }
        if (before != null && before < 1) {
            return Problems.badField("before", "must be 1 or more");
        }
        int size = limit == null ? DEFAULT_LIMIT : limit;
        if (size < 1 || size > MAX_LIMIT) {
            return Problems.badField("limit", "must be 1 to " + MAX_LIMIT);
        }
        PageQuery query = new PageQuery(after, before, size);
        Access access = access(groupId, caller.getName());
        if (!access.known()) {
            return Problems.respond(Problems.problem(HttpStatus.NOT_FOUND, "unknown group " + groupId));
        }
        if (access.role().isEmpty()) {
            return Problems.respond(Problems.problem(HttpStatus.FORBIDDEN, "only members read group " + groupId));
        }
        long committed = access.committed();
        for (CachedHistoryReader cache : caches) {
            Optional<JsonPage> cached = cache.jsonPage(groupId, query).filter(p -> p.lastSeq() >= committed);
            if (cached.isPresent()) {
                return ResponseEntity.ok()
                        .contentType(MediaType.APPLICATION_JSON)
                        .header("Chorus-Stale", "false")
                        .header("Chorus-Read-From", "redis")
                        .body(cached.get().body());
            }
        }
        HistoryPage answer = postgres.page(groupId, query).orElseGet(() -> new HistoryPage(List.of(), false, 0));
        // a read model still behind after the wait answers what it has, and says so
        return ResponseEntity.ok()
                .header("Chorus-Stale", Boolean.toString(answer.lastSeq() < committed))
                .header("Chorus-Read-From", "postgres")
                .body(Map.of("messages", answer.messages(), "hasMore", answer.hasMore()));
    }
}
