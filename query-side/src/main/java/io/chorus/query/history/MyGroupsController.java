package io.chorus.query.history;

import io.chorus.api.Identifiers;
import io.chorus.web.problem.Problems;
import java.security.Principal;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The caller's groups with their last seq, the caller's read marker and how many messages are unread: messages
 * after the marker, not deleted, not sent by the caller, counted up to {@link #UNREAD_CAP}. Most recently active
 * first, a page at a time: {@code limit} groups, and a {@code Link: <…>; rel="next"} header with the cursor of the
 * next page while there is one. A group that becomes active while a client pages moves to the front; the feed
 * carries that change.
 */
@RestController
class MyGroupsController {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 500;

    /** Unread messages are counted up to this many per group: a client shows "1000+", the count costs no more. */
    static final int UNREAD_CAP = 1000;

    private final JdbcTemplate jdbc;
    private final PostgresHistoryReader history;

    MyGroupsController(JdbcTemplate jdbc, PostgresHistoryReader history) {
        this.jdbc = jdbc;
        this.history = history;
    }

    record MyGroupView(
            String groupId,
            String name,
            String topic,
            boolean archived,
            String visibility,
            long lastSeq,
            long readSeq,
            long unread) {}

    /** Where a page ends: the last group's last seq and id, in the list's order. */
    private record Cursor(long lastSeq, String groupId) {

        static Cursor parse(String text) {
            int colon = text.indexOf(':');
            if (colon > 0) {
                try {
                    long seq = Long.parseLong(text.substring(0, colon));
                    String group = text.substring(colon + 1);
                    if (seq >= 0 && Identifiers.isGroupId(group)) {
                        return new Cursor(seq, group);
                    }
                } catch (NumberFormatException e) {
                    // refused below
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return lastSeq + ":" + groupId;
        }
    }

    @GetMapping("/api/me/groups")
    ResponseEntity<?> myGroups(
            @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String after,
            Principal caller) {
        int size = limit == null ? DEFAULT_LIMIT : limit;
        if (size < 1 || size > MAX_LIMIT) {
            return Problems.badField("limit", "must be 1 to " + MAX_LIMIT);
        }
        Cursor from = after == null ? null : Cursor.parse(after);
        if (after != null && from == null) {
            return Problems.badField("after", "must be the cursor of a page's Link header");
        }
        HistoryTables t = history.tables();
        List<Object> args = new ArrayList<>(List.of(caller.getName()));
        String page = "";
        if (from != null) {
            page = " and (g.last_seq < ? or (g.last_seq = ? and g.group_id > ?))";
            args.addAll(List.of(from.lastSeq(), from.lastSeq(), from.groupId()));
        }
        args.add(size + 1);
        List<MyGroupView> groups = jdbc.query(
                "select g.group_id, g.name, g.topic, g.archived, g.visibility, g.last_seq,"
                        + " coalesce(r.read_seq, 0) as read_seq,"
                        + " (select count(*) from (select 1 from " + t.message() + " m where m.group_id = g.group_id"
                        + "  and m.seq > coalesce(r.read_seq, 0) and not m.deleted and m.sender_id <> mb.user_id"
                        + "  limit " + UNREAD_CAP + ") capped) as unread"
                        + " from " + t.member() + " mb join " + t.group() + " g on g.group_id = mb.group_id"
                        + " left join " + t.readMarker() + " r on r.group_id = mb.group_id and r.user_id = mb.user_id"
                        + " where mb.user_id = ?" + page + " order by g.last_seq desc, g.group_id limit ?",
                (rs, row) -> new MyGroupView(
                        rs.getString("group_id"),
                        rs.getString("name"),
                        rs.getString("topic"),
                        rs.getBoolean("archived"),
                        rs.getString("visibility"),
                        rs.getLong("last_seq"),
                        rs.getLong("read_seq"),
                        rs.getLong("unread")),
                args.toArray());
        ResponseEntity.BodyBuilder answer = ResponseEntity.ok();
        if (groups.size() > size) {
            groups = groups.subList(0, size);
            MyGroupView last = groups.get(size - 1);
            answer.header(
                    HttpHeaders.LINK,
                    "</api/me/groups?limit=" + size + "&after=" + new Cursor(last.lastSeq(), last.groupId())
                            + ">; rel=\"next\"");
        }
        return answer.body(groups);
    }
}
