package io.chorus.query.history;

import io.chorus.api.Identifiers;
import io.chorus.web.problem.Problems;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * A group as the history read model holds it: name, topic, whether it is archived, visibility, members and roles,
 * last seq. Members only.
 */
@RestController
class GroupQueryController {

    private final JdbcTemplate jdbc;
    private final PostgresHistoryReader history;
    private final GroupAccess access;

    GroupQueryController(JdbcTemplate jdbc, PostgresHistoryReader history, GroupAccess access) {
        this.jdbc = jdbc;
        this.history = history;
        this.access = access;
    }

    record MemberView(String userId, String role) {}

    @GetMapping("/api/groups/{groupId}")
    ResponseEntity<?> group(@PathVariable String groupId, Principal caller) {
        if (!Identifiers.isGroupId(groupId)) {
            return Problems.badField("groupId", Identifiers.GROUP_ID_RULE);
        }
        // read-your-writes, and a membership no older than the caller's last membership event
        if (!access.access(groupId, caller.getName()).current()) {
            return GroupAccess.behind(groupId);
        }
        HistoryTables tables = history.tables();
        List<Map<String, Object>> group = jdbc.queryForList(
                "select name, topic, archived, visibility, last_seq from " + tables.group() + " where group_id = ?",
                groupId);
        if (group.isEmpty()) {
            return Problems.respond(Problems.problem(HttpStatus.NOT_FOUND, "unknown group " + groupId));
        }
        List<MemberView> members = jdbc.query(
                "select user_id, role from " + tables.member() + " where group_id = ? order by user_id",
                (rs, row) -> new MemberView(rs.getString("user_id"), rs.getString("role")),
                groupId);
        if (members.stream().noneMatch(m -> m.userId().equals(caller.getName()))) {
            return Problems.respond(Problems.problem(HttpStatus.FORBIDDEN, "only members read group " + groupId));
        }
        Map<String, Object> row = group.get(0);
        return ResponseEntity.ok(Map.of(
                "groupId", groupId,
                "name", row.get("name"),
                "topic", row.get("topic"),
                "archived", row.get("archived"),
                "visibility", row.get("visibility"),
                "members", members,
                "lastSeq", ((Number) row.get("last_seq")).longValue()));
    }
}
