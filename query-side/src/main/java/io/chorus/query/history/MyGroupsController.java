package io.chorus.query.history;

import java.security.Principal;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The caller's groups with their last seq, the caller's read marker and how many messages are unread: messages
 * after the marker, not deleted, not sent by the caller. Most recently active first.
 */
@RestController
class MyGroupsController {

    private final JdbcTemplate jdbc;
    private final PostgresHistoryReader history;

    MyGroupsController(JdbcTemplate jdbc, PostgresHistoryReader history) {
        this.jdbc = jdbc;
        this.history = history;
    }

    record MyGroupView(String groupId, String name, long lastSeq, long readSeq, long unread) {}

    @GetMapping("/api/me/groups")
    List<MyGroupView> myGroups(Principal caller) {
        HistoryTables t = history.tables();
        return jdbc.query(
                "select g.group_id, g.name, g.last_seq, coalesce(r.read_seq, 0) as read_seq,"
                        + " (select count(*) from " + t.message() + " m where m.group_id = g.group_id"
                        + "  and m.seq > coalesce(r.read_seq, 0) and not m.deleted and m.sender_id <> mb.user_id) as unread"
                        + " from " + t.member() + " mb join " + t.group() + " g on g.group_id = mb.group_id"
                        + " left join " + t.readMarker() + " r on r.group_id = mb.group_id and r.user_id = mb.user_id"
                        + " where mb.user_id = ? order by g.last_seq desc, g.group_id",
                (rs, row) -> new MyGroupView(
                        rs.getString("group_id"),
                        rs.getString("name"),
                        rs.getLong("last_seq"),
                        rs.getLong("read_seq"),
                        rs.getLong("unread")),
                caller.getName());
    }
}
