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
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
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
    private final EventStore eventStore;
    private final PostgresHistoryReader postgres;
    private final List<HistoryReader> caches;

    HistoryQueryController(
            JdbcTemplate jdbc,
            EventStore eventStore,
            PostgresHistoryReader postgres,
            ObjectProvider<HistoryReader> readers) {
        this.jdbc = jdbc;
        this.eventStore = eventStore;
        this.postgres = postgres;
        this.caches = readers.orderedStream().filter(r -> r != postgres).toList();
    }

    /** The caller's role in the group ("" when not a member) and the read model's last seq of the group. */
    private record Access(String role, long lastSeq) {}

    /**
     * Read-your-writes: a write acknowledged to the caller is committed, so it is at or below the group's last seq
     * in the event store. Waits (briefly) until PostgreSQL's read model has reached that seq, then reads the
     * caller's membership from it. Empty for a group the read model does not know.
     */
    private Optional<Access> access(String groupId, String userId, long committed) {
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        HistoryTables tables = postgres.tables();
        while (true) {
            List<Access> found = jdbc.query(
                    "select g.last_seq, coalesce(m.role, '') as role from " + tables.group() + " g left join "
                            + tables.member() + " m on m.group_id = g.group_id and m.user_id = ? where g.group_id = ?",
                    (rs, row) -> new Access(rs.getString("role"), rs.getLong("last_seq")),
                    userId,
                    groupId);
            Optional<Access> access = found.stream().findFirst();
            if (access.map(Access::lastSeq).orElse(0L) >= committed || System.nanoTime() >= deadline) {
                return access;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
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
        long committed =
                eventStore.lastSequenceNumberFor(groupId).map(n -> n + 1).orElse(0L);
        Optional<Access> access = access(groupId, caller.getName(), committed);
        if (access.isEmpty()) {
            return Problems.respond(Problems.problem(HttpStatus.NOT_FOUND, "unknown group " + groupId));
        }
        if (access.get().role().isEmpty()) {
            return Problems.respond(Problems.problem(HttpStatus.FORBIDDEN, "only members read group " + groupId));
        }
        String source = "redis";
        Optional<HistoryPage> page = Optional.empty();
        for (HistoryReader cache : caches) {
            page = cache.page(groupId, query).filter(p -> p.lastSeq() >= committed);
            if (page.isPresent()) {
                break;
            }
        }
        if (page.isEmpty()) {
            source = "postgres";
            page = postgres.page(groupId, query);
        }
        HistoryPage answer = page.orElseGet(() -> new HistoryPage(List.of(), false, 0));
        // a read model still behind after the wait answers what it has, and says so
        return ResponseEntity.ok()
                .header("Chorus-Stale", Boolean.toString(answer.lastSeq() < committed))
                .header("Chorus-Read-From", source)
                .body(Map.of("messages", answer.messages(), "hasMore", answer.hasMore()));
    }
}
