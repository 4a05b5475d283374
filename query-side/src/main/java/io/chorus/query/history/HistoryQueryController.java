package io.chorus.query.history;

import io.chorus.api.Identifiers;
import io.chorus.web.problem.Problems;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Pages of a group's history in ascending seq: the newest page by default, or the page after or before a seq.
 * Members only. Recent pages come from the Redis window when it holds the whole page and is current; every other
 * page, and every page while Redis is down or cold, from PostgreSQL (header {@code Chorus-Read-From}). A page
 * includes every event of the group committed before the read (header {@code Chorus-Stale: false}): the read waits
 * up to 2 s for PostgreSQL to catch up; past that it answers 503 with {@code Retry-After}, since the caller's
 * membership cannot be known to be current (see {@link GroupAccess}).
 */
@RestController
class HistoryQueryController {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;

    private final GroupAccess groupAccess;
    private final PostgresHistoryReader postgres;
    private final List<CachedHistoryReader> caches;

    HistoryQueryController(
            GroupAccess groupAccess, PostgresHistoryReader postgres, ObjectProvider<CachedHistoryReader> caches) {
        this.groupAccess = groupAccess;
        this.postgres = postgres;
        this.caches = caches.orderedStream().toList();
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
        GroupAccess.Access access = groupAccess.access(groupId, caller.getName());
        if (!access.current()) {
            return GroupAccess.behind(groupId);
        }
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
        // the page is read after the access check found the read model current; a replay's switch of slots between
        // the two could still leave it short, and the header says so
        return ResponseEntity.ok()
                .header("Chorus-Stale", Boolean.toString(answer.lastSeq() < committed))
                .header("Chorus-Read-From", "postgres")
                .body(Map.of("messages", answer.messages(), "hasMore", answer.hasMore()));
    }
}
