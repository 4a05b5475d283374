package io.chorus.query.history;

import io.chorus.api.Identifiers;
import io.chorus.web.problem.Problems;
import java.security.Principal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Pages of a group's history from the PostgreSQL read model, in ascending seq: the newest page by default, or the
 * page after or before a seq. Members only. A page includes every event committed before the read (header
 * {@code Chorus-Stale: false}), waiting up to 2 s for the projection; past that it answers what the read model has
 * with {@code Chorus-Stale: true}.
 */
@RestController
class HistoryQueryController {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;

    private static final String COLUMNS = "group_id, seq, message_id, client_message_id, sender_id, text, sent_at,"
            + " reply_to_seq, edited_at, deleted";

    /** How long a read waits for the projection to reach the group's last committed event. */
    private static final Duration CATCH_UP = Duration.ofSeconds(2);

    private final JdbcTemplate jdbc;
    private final EventStore eventStore;

    HistoryQueryController(JdbcTemplate jdbc, EventStore eventStore) {
        this.jdbc = jdbc;
        this.eventStore = eventStore;
    }

    /**
     * Read-your-writes: a write acknowledged to the caller is committed, so the group's last seq in the event store
     * covers it. Wait (briefly) until the read model has caught up with that seq; if it has not, say so.
     */
    private boolean caughtUp(String groupId) {
        long committed =
                eventStore.lastSequenceNumberFor(groupId).map(n -> n + 1).orElse(0L);
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        while (true) {
            Long projected =
                    jdbc
                            .queryForList("select last_seq from history_group where group_id = ?", Long.class, groupId)
                            .stream()
                            .findFirst()
                            .orElse(0L);
            if (projected >= committed) {
                return true;
            }
            if (System.nanoTime() >= deadline) {
                return false;
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
        boolean current = caughtUp(groupId);
        List<String> role = jdbc.queryForList(
                "select coalesce((select role from history_member where group_id = ? and user_id = ?), '')"
                        + " from history_group where group_id = ?",
                String.class,
                groupId,
                caller.getName(),
                groupId);
        if (role.isEmpty()) {
            return Problems.respond(Problems.problem(HttpStatus.NOT_FOUND, "unknown group " + groupId));
        }
        if (role.get(0).isEmpty()) {
            return Problems.respond(Problems.problem(HttpStatus.FORBIDDEN, "only members read group " + groupId));
        }
        List<MessageView> page;
        if (after != null) {
            page = jdbc.query(
                    "select " + COLUMNS + " from history_message where group_id = ? and seq > ? order by seq limit ?",
                    HistoryQueryController::message,
                    groupId,
                    after,
                    size + 1);
        } else {
            page = jdbc.query(
                    "select " + COLUMNS + " from history_message where group_id = ? and seq < ?"
                            + " order by seq desc limit ?",
                    HistoryQueryController::message,
                    groupId,
                    before == null ? Long.MAX_VALUE : before,
                    size + 1);
        }
        boolean hasMore = page.size() > size;
        if (hasMore) {
            page = page.subList(0, size);
        }
        if (after == null) {
            page = new ArrayList<>(page);
            Collections.reverse(page);
        }
        // a read model still behind after the wait answers what it has, and says so
        return ResponseEntity.ok()
                .header("Chorus-Stale", Boolean.toString(!current))
                .body(Map.of("messages", page, "hasMore", hasMore));
    }

    private static MessageView message(ResultSet rs, int row) throws SQLException {
        Timestamp edited = rs.getTimestamp("edited_at");
        long replyTo = rs.getLong("reply_to_seq");
        Long replyToSeq = rs.wasNull() ? null : replyTo;
        return new MessageView(
                rs.getString("group_id"),
                rs.getLong("seq"),
                rs.getString("message_id"),
                rs.getString("client_message_id"),
                rs.getString("sender_id"),
                rs.getString("text"),
                rs.getTimestamp("sent_at").toInstant(),
                replyToSeq,
                edited == null ? null : edited.toInstant(),
                rs.getBoolean("deleted"));
    }
}
