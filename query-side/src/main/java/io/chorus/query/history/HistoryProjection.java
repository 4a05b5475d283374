package io.chorus.query.history;

import io.chorus.api.group.GroupArchivedEvent;
import io.chorus.api.group.GroupCreatedEvent;
import io.chorus.api.group.GroupRenamedEvent;
import io.chorus.api.group.GroupUnarchivedEvent;
import io.chorus.api.group.MemberJoinedEvent;
import io.chorus.api.group.MemberLeftEvent;
import io.chorus.api.group.MemberRemovedEvent;
import io.chorus.api.group.MemberUnbannedEvent;
import io.chorus.api.group.Role;
import io.chorus.api.group.RoleChangedEvent;
import io.chorus.api.group.TopicChangedEvent;
import io.chorus.api.message.MessageDeletedEvent;
import io.chorus.api.message.MessageEditedEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.ReadMarkerMovedEvent;
import io.chorus.query.projection.SlotProjection;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * The full history of every group in PostgreSQL: groups, members and roles, read markers, and every message with
 * its edit and delete state, in one slot (see {@link HistoryTables}). Runs in its slot's processing group
 * ("history-a" or "history-b"), batched, its token committed in the same transaction as its rows. Writes are keyed
 * by (group, seq) or (group, user): a redelivered batch leaves the rows as they were.
 *
 * <p>A batch's statements are collected and sent when its unit of work commits, consecutive ones of a kind as one
 * JDBC batch, and each group's last seq once (all the groups of the batch in one statement). When that fails, the
 * batch's events become suspects: the processor retries the batch, and each suspect's statements then run at once in
 * a savepoint, so the failing event is found, thrown from its handler and parked in the dead-letter queue for its
 * group while the rest of the batch commits.
 */
class HistoryProjection implements SlotProjection {

    static final String NAME = "history";

    private static final Logger log = LoggerFactory.getLogger(HistoryProjection.class);

    private final HistoryTables tables;
    private final JdbcTemplate jdbc;
    private final DataSource dataSource;
    private final String bufferKey;
    private final HistoryProgress progress;

    /** The events of batches that failed to commit: retried one by one, each in a savepoint. */
    private final Set<String> suspects = ConcurrentHashMap.newKeySet();

    HistoryProjection(String slot, JdbcTemplate jdbc, DataSource dataSource, HistoryProgress progress) {
        this.tables = new HistoryTables(slot);
        this.progress = progress;
        this.jdbc = jdbc;
        this.dataSource = dataSource;
        this.bufferKey = HistoryProjection.class.getName() + "." + slot;
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

    /** One SQL statement and its arguments. */
    private record Statement(String sql, Object[] args) {}

    private static Statement sql(String sql, Object... args) {
        return new Statement(sql, args);
    }

    /** The statements of a batch, in order, and the last seq each group reached in it. */
    private static final class Buffer {
        final List<Statement> statements = new ArrayList<>();
        final Map<String, Long> lastSeq = new LinkedHashMap<>();
        final List<String> events = new ArrayList<>();
    }

    /** Applies an event's statements and, when {@code seq > 0}, moves its group's last seq up to it. */
    private void apply(String groupId, long seq, Statement... statements) {
        UnitOfWork<?> current = CurrentUnitOfWork.get();
        String event = current.getMessage().getIdentifier();
        if (suspects.contains(event)) {
            // a retry starts where the failed batch started, so its suspects come first and keep the group's order
            current.root().afterCommit(u -> {
                suspects.remove(event);
                progress.committed(List.of(groupId));
            });
            savepoint(groupId, seq, statements);
            return;
        }
        UnitOfWork<?> unitOfWork = current.root();
        Buffer buffer = unitOfWork.getOrComputeResource(bufferKey, key -> {
            Buffer created = new Buffer();
            unitOfWork.onPrepareCommit(u -> flush(created));
            unitOfWork.afterCommit(u -> progress.committed(created.lastSeq.keySet()));
            return created;
        });
        buffer.statements.addAll(List.of(statements));
        buffer.events.add(event);
        if (seq > 0) {
            buffer.lastSeq.merge(groupId, seq, Math::max);
        }
    }

    private void flush(Buffer buffer) {
        try {
            List<Statement> all = buffer.statements;
            for (int from = 0; from < all.size(); ) {
                String sql = all.get(from).sql();
                List<Object[]> args = new ArrayList<>();
                // a run stops at a repeated key too: one multi-row upsert may not touch a row twice
                Set<List<Object>> keys = new HashSet<>();
                int to = from;
                while (to < all.size()
                        && all.get(to).sql().equals(sql)
                        && keys.add(
                                Arrays.asList(all.get(to).args()[0], all.get(to).args()[1]))) {
                    args.add(all.get(to).args());
                    to++;
                }
                jdbc.batchUpdate(sql, args);
                from = to;
            }
            if (!buffer.lastSeq.isEmpty()) {
                advanceAll(buffer.lastSeq);
            }
        } catch (RuntimeException e) {
            suspects.addAll(buffer.events);
            log.warn(
                    "a batch of the history projection (slot {}) failed; it is retried event by event: {}",
                    tables.slot(),
                    e.toString());
            throw e;
        }
    }

    /**
     * Runs an event's statements at once in a savepoint of the batch's transaction: when one fails (and goes to the
     * dead-letter queue), PostgreSQL would otherwise refuse every later statement of the batch.
     */
    private void savepoint(String groupId, long seq, Statement... statements) {
        // the batch's connection (Spring's JPA transaction manager offers no savepoints of its own)
        Connection connection = DataSourceUtils.getConnection(dataSource);
        try {
            Savepoint savepoint = connection.setSavepoint();
            try {
                for (Statement statement : statements) {
                    jdbc.update(statement.sql(), statement.args());
                }
                if (seq > 0) {
                    jdbc.update(advance(), seq, groupId);
                }
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

    /**
     * Moves each group's last seq up to the one the batch reached, in one statement: a JDBC batch of one update per
     * group was one statement execution (and one read-model trigger) per group of the batch, the most frequent
     * statement of a node under load (19,232 of them in 30 s at 2,000 messages/s over 100 groups).
     */
    private void advanceAll(Map<String, Long> lastSeq) {
        String[] groups = lastSeq.keySet().toArray(String[]::new);
        Long[] seqs = lastSeq.values().toArray(Long[]::new);
        jdbc.update(
                "update " + tables.group() + " g set last_seq = greatest(g.last_seq, v.seq)"
                        + " from unnest(?::varchar[], ?::bigint[]) as v(group_id, seq) where g.group_id = v.group_id",
                statement -> {
                    Connection connection = statement.getConnection();
                    statement.setArray(1, connection.createArrayOf("varchar", groups));
                    statement.setArray(2, connection.createArrayOf("bigint", seqs));
                });
    }

    private String advance() {
        return "update " + tables.group() + " set last_seq = greatest(last_seq, ?) where group_id = ?";
    }

    @EventHandler
    void on(GroupCreatedEvent event) {
        apply(
                event.groupId(),
                0,
                sql(
                        "insert into " + tables.group() + " (group_id, name, visibility, last_seq) values (?, ?, ?, ?)"
                                + " on conflict (group_id) do nothing",
                        event.groupId(),
                        event.name(),
                        event.visibility().name().toLowerCase(Locale.ROOT),
                        event.seq()),
                member(event.groupId(), event.ownerId(), Role.OWNER));
    }

    @EventHandler
    void on(MemberJoinedEvent event) {
        apply(event.groupId(), event.seq(), member(event.groupId(), event.userId(), event.role()));
    }

    @EventHandler
    void on(MemberLeftEvent event) {
        apply(event.groupId(), event.seq(), removeMember(event.groupId(), event.userId()));
    }

    @EventHandler
    void on(MemberRemovedEvent event) {
        apply(event.groupId(), event.seq(), removeMember(event.groupId(), event.userId()));
    }

    @EventHandler
    void on(GroupRenamedEvent event) {
        apply(
                event.groupId(),
                event.seq(),
                sql("update " + tables.group() + " set name = ? where group_id = ?", event.name(), event.groupId()));
    }

    @EventHandler
    void on(TopicChangedEvent event) {
        apply(
                event.groupId(),
                event.seq(),
                sql("update " + tables.group() + " set topic = ? where group_id = ?", event.topic(), event.groupId()));
    }

    @EventHandler
    void on(GroupArchivedEvent event) {
        apply(event.groupId(), event.seq(), archived(event.groupId(), true));
    }

    @EventHandler
    void on(GroupUnarchivedEvent event) {
        apply(event.groupId(), event.seq(), archived(event.groupId(), false));
    }

    private Statement archived(String groupId, boolean archived) {
        return sql("update " + tables.group() + " set archived = ? where group_id = ?", archived, groupId);
    }

    @EventHandler
    void on(MemberUnbannedEvent event) {
        apply(event.groupId(), event.seq());
    }

    @EventHandler
    void on(RoleChangedEvent event) {
        apply(event.groupId(), event.seq(), member(event.groupId(), event.userId(), event.role()));
    }

    @EventHandler
    void on(MessageSentEvent event) {
        apply(
                event.groupId(),
                event.seq(),
                sql(
                        "insert into " + tables.message() + " (group_id, seq, message_id, client_message_id, sender_id,"
                                + " text, reply_to_seq, sent_at) values (?, ?, ?, ?, ?, ?, ?, ?)"
                                + " on conflict (group_id, seq) do nothing",
                        event.groupId(),
                        event.seq(),
                        event.messageId(),
                        event.clientMessageId(),
                        event.senderId(),
                        event.text(),
                        new SqlParameterValue(Types.BIGINT, event.replyToSeq()),
                        Timestamp.from(event.sentAt())));
    }

    @EventHandler
    void on(MessageEditedEvent event) {
        // a group's events arrive in seq order, so a redelivered older edit is followed again by the newer ones
        apply(
                event.groupId(),
                event.seq(),
                sql(
                        "update " + tables.message()
                                + " set text = ?, edited_at = ? where group_id = ? and seq = ? and not deleted",
                        event.text(),
                        Timestamp.from(event.editedAt()),
                        event.groupId(),
                        event.messageSeq()));
    }

    @EventHandler
    void on(MessageDeletedEvent event) {
        apply(
                event.groupId(),
                event.seq(),
                sql(
                        "update " + tables.message()
                                + " set text = null, deleted = true where group_id = ? and seq = ?",
                        event.groupId(),
                        event.messageSeq()));
    }

    @EventHandler
    void on(ReadMarkerMovedEvent event) {
        apply(
                event.groupId(),
                0,
                sql(
                        "insert into " + tables.readMarker() + " (group_id, user_id, read_seq) values (?, ?, ?)"
                                + " on conflict (group_id, user_id) do update set read_seq = greatest("
                                + tables.readMarker() + ".read_seq, excluded.read_seq)",
                        event.groupId(),
                        event.userId(),
                        event.readSeq()));
    }

    private Statement member(String groupId, String userId, Role role) {
        return sql(
                "insert into " + tables.member() + " (group_id, user_id, role) values (?, ?, ?)"
                        + " on conflict (group_id, user_id) do update set role = excluded.role",
                groupId,
                userId,
                role.name().toLowerCase(Locale.ROOT));
    }

    private Statement removeMember(String groupId, String userId) {
        return sql("delete from " + tables.member() + " where group_id = ? and user_id = ?", groupId, userId);
    }
}
