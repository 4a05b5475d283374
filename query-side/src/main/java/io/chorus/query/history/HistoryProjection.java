package io.chorus.query.history;

import io.chorus.api.GroupEvent;
import io.chorus.api.group.GroupCreatedEvent;
import io.chorus.api.group.MemberJoinedEvent;
import io.chorus.api.group.MemberLeftEvent;
import io.chorus.api.group.MemberRemovedEvent;
import io.chorus.api.group.MemberUnbannedEvent;
import io.chorus.api.group.RoleChangedEvent;
import io.chorus.api.message.MessageDeletedEvent;
import io.chorus.api.message.MessageEditedEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.ReadMarkerMovedEvent;
import io.chorus.query.projection.SlotProjection;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Timestamp;
import java.util.Locale;
import javax.sql.DataSource;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * The full history of every group in PostgreSQL: groups, members and roles, and every message with its edit and
 * delete state, in one slot (see {@link HistoryTables}). Runs in its slot's processing group ("history-a" or
 * "history-b"), batched, its token committed in the same transaction as its rows. Writes are keyed by (group, seq) or (group, user): a redelivered batch leaves the rows as they were.
 */
class HistoryProjection implements SlotProjection {

    static final String NAME = "history";

    private final HistoryTables tables;
    private final JdbcTemplate jdbc;
    private final DataSource dataSource;

    HistoryProjection(String slot, JdbcTemplate jdbc, DataSource dataSource) {
        this.tables = new HistoryTables(slot);
        this.jdbc = jdbc;
        this.dataSource = dataSource;
    }

    @Override
    public String projection() {
        return NAME;
    }

    @Override
    public String slot() {
        return tables.slot();
    }

    @Override
    public void clear() {
        jdbc.update("truncate " + tables.readMarker() + ", " + tables.message() + ", " + tables.member() + ", "
                + tables.group());
    }

    /**
     * Each event's writes in a savepoint of the batch's transaction: when one fails (and goes to the dead-letter
     * queue), PostgreSQL would otherwise refuse every later statement of the batch, blocking all groups.
     */
    private void savepoint(Runnable writes) {
        // the batch's connection (Spring's JPA transaction manager offers no savepoints of its own)
        Connection connection = DataSourceUtils.getConnection(dataSource);
        try {
            Savepoint savepoint = connection.setSavepoint();
            try {
                writes.run();
                connection.releaseSavepoint(savepoint);
            } catch (RuntimeException e) {
                connection.rollback(savepoint);
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("savepoint of the history projection failed", e);
        } finally {
            DataSourceUtils.releaseConnection(connection, dataSource);
        }
    }

    @EventHandler
    void on(GroupCreatedEvent event) {
        savepoint(() -> {
            jdbc.update(
                    "insert into " + tables.group() + " (group_id, name, visibility, last_seq) values (?, ?, ?, ?)"
                            + " on conflict (group_id) do nothing",
                    event.groupId(),
                    event.name(),
                    event.visibility().name().toLowerCase(Locale.ROOT),
                    event.seq());
            member(event.groupId(), event.ownerId(), "owner");
        });
    }

    @EventHandler
    void on(MemberJoinedEvent event) {
        savepoint(() -> {
            member(event.groupId(), event.userId(), role(event.role()));
            advance(event);
        });
    }

    @EventHandler
    void on(MemberLeftEvent event) {
        savepoint(() -> {
            jdbc.update(
                    "delete from " + tables.member() + " where group_id = ? and user_id = ?",
                    event.groupId(),
                    event.userId());
            advance(event);
        });
    }

    @EventHandler
    void on(MemberRemovedEvent event) {
        savepoint(() -> {
            jdbc.update(
                    "delete from " + tables.member() + " where group_id = ? and user_id = ?",
                    event.groupId(),
                    event.userId());
            advance(event);
        });
    }

    @EventHandler
    void on(MemberUnbannedEvent event) {
        savepoint(() -> {
            advance(event);
        });
    }

    @EventHandler
    void on(RoleChangedEvent event) {
        savepoint(() -> {
            member(event.groupId(), event.userId(), role(event.role()));
            advance(event);
        });
    }

    @EventHandler
    void on(MessageSentEvent event) {
        savepoint(() -> {
            jdbc.update(
                    "insert into " + tables.message()
                            + " (group_id, seq, message_id, client_message_id, sender_id, text,"
                            + " reply_to_seq, sent_at) values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (group_id, seq) do nothing",
                    event.groupId(),
                    event.seq(),
                    event.messageId(),
                    event.clientMessageId(),
                    event.senderId(),
                    event.text(),
                    event.replyToSeq(),
                    Timestamp.from(event.sentAt()));
            advance(event);
        });
    }

    @EventHandler
    void on(MessageEditedEvent event) {
        savepoint(() -> {
            // a group's events arrive in seq order, so a redelivered older edit is followed again by the newer ones
            jdbc.update(
                    "update " + tables.message()
                            + " set text = ?, edited_at = ? where group_id = ? and seq = ? and not deleted",
                    event.text(),
                    Timestamp.from(event.editedAt()),
                    event.groupId(),
                    event.messageSeq());
            advance(event);
        });
    }

    @EventHandler
    void on(MessageDeletedEvent event) {
        savepoint(() -> {
            jdbc.update(
                    "update " + tables.message() + " set text = null, deleted = true where group_id = ? and seq = ?",
                    event.groupId(),
                    event.messageSeq());
            advance(event);
        });
    }

    @EventHandler
    void on(ReadMarkerMovedEvent event) {
        savepoint(() -> {
            jdbc.update(
                    "insert into " + tables.readMarker() + " as r (group_id, user_id, read_seq) values (?, ?, ?)"
                            + " on conflict (group_id, user_id) do update set read_seq = greatest(r.read_seq, excluded.read_seq)",
                    event.groupId(),
                    event.userId(),
                    event.readSeq());
        });
    }

    private void member(String groupId, String userId, String role) {
        jdbc.update(
                "insert into " + tables.member() + " (group_id, user_id, role) values (?, ?, ?)"
                        + " on conflict (group_id, user_id) do update set role = excluded.role",
                groupId,
                userId,
                role);
    }

    private void advance(GroupEvent event) {
        jdbc.update(
                "update " + tables.group() + " set last_seq = greatest(last_seq, ?) where group_id = ?",
                event.seq(),
                event.groupId());
    }

    private static String role(io.chorus.api.group.Role role) {
        return role.name().toLowerCase(Locale.ROOT);
    }
}
