package io.chorus.query.history;

import io.chorus.query.projection.ProjectionSlots;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** Pages of the full history from the active slot of the PostgreSQL read model: every page, any age. */
@Component
public class PostgresHistoryReader implements HistoryReader {

    private static final String COLUMNS = "group_id, seq, message_id, client_message_id, sender_id, text, sent_at,"
            + " reply_to_seq, edited_at, deleted";

    private final JdbcTemplate jdbc;
    private final ProjectionSlots slots;

    public PostgresHistoryReader(JdbcTemplate jdbc, ProjectionSlots slots) {
        this.jdbc = jdbc;
        this.slots = slots;
    }

    HistoryTables tables() {
        return new HistoryTables(slots.active(HistoryProjection.NAME));
    }

    /** A group's newest messages (ascending) with the last seq they are current with, read in one statement. */
    public record Newest(long lastSeq, List<MessageView> messages) {}

    @Override
    public Optional<HistoryPage> page(String groupId, PageQuery query) {
        HistoryTables tables = tables();
        List<Long> last = jdbc.queryForList(
                "select last_seq from " + tables.group() + " where group_id = ?", Long.class, groupId);
        if (last.isEmpty()) {
            return Optional.empty();
        }
        boolean after = query.after() != null;
        List<MessageView> read = jdbc.query(
                "select " + COLUMNS + " from " + tables.message() + " where group_id = ? and seq "
                        + (after ? "> ? order by seq" : "< ? order by seq desc") + " limit ?",
                PostgresHistoryReader::message,
                groupId,
                after ? query.after() : query.upperBound(),
                query.limit() + 1);
        PageQuery.Slice<MessageView> page = query.slice(read);
        return Optional.of(new HistoryPage(page.items(), page.hasMore(), last.get(0)));
    }

    /** The group's newest {@code count} messages and its last seq, from one snapshot; empty for an unknown group. */
    public Optional<Newest> newest(String groupId, int count) {
        HistoryTables tables = tables();
        List<Long> lastSeq = new ArrayList<>(1);
        List<MessageView> messages = new ArrayList<>(count);
        jdbc.query(
                "select g.last_seq as group_last_seq, m.* from " + tables.group() + " g left join lateral (select "
                        + COLUMNS.replace("group_id, ", "") + " from " + tables.message()
                        + " where group_id = g.group_id order by seq desc limit ?) m on true where g.group_id = ?",
                rs -> {
                    if (lastSeq.isEmpty()) {
                        lastSeq.add(rs.getLong("group_last_seq"));
                    }
                    if (rs.getObject("seq") != null) {
                        messages.add(message(rs, groupId));
                    }
                },
                count,
                groupId);
        if (lastSeq.isEmpty()) {
            return Optional.empty();
        }
        Collections.reverse(messages);
        return Optional.of(new Newest(lastSeq.get(0), messages));
    }

    private static MessageView message(ResultSet rs, int row) throws SQLException {
        return message(rs, rs.getString("group_id"));
    }

    private static MessageView message(ResultSet rs, String groupId) throws SQLException {
        Timestamp edited = rs.getTimestamp("edited_at");
        long replyTo = rs.getLong("reply_to_seq");
        Long replyToSeq = rs.wasNull() ? null : replyTo;
        return new MessageView(
                groupId,
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
