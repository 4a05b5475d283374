package io.chorus.eventstore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Spliterators;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.axonframework.common.DateTimeUtils;
import org.axonframework.common.jdbc.JdbcUtils;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.DomainEventData;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventEntry;
import org.axonframework.eventhandling.TrackedDomainEventData;
import org.axonframework.eventhandling.TrackedEventData;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.WrappedToken;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Axon's JDBC storage engine with the event stream read in commit order, so that it never skips a committed event.
 *
 * <p>Axon's stock engines hand out the global index before commit and read the stream in index order; an event
 * whose transaction commits after a later-indexed one is a gap, and a gap older than the gap timeout is given up,
 * losing the event for every reader (AxonFramework #4829). Here each event records its transaction id
 * ({@code tx_id}, a column default of {@code pg_current_xact_id()}). A reader takes only events whose transaction
 * id is below the xmin of its own snapshot: every such transaction has ended, and any transaction yet to write
 * gets a larger id, so nothing can appear before those events any more. Read in (tx_id, global_index) order the
 * stream is final as read: no skip, no duplicate, a token that only moves forward, and within a transaction (and
 * so within a group, whose events one transaction at a time append) the index order.
 *
 * <p>While an older transaction runs, younger committed events wait behind it (they are "held back"). Most such
 * transactions write a read model (a projection's rows, a processor's token), and those write no event: the database
 * marks them and refuses them appends ({@code V6__read_model_transactions_hold_no_events_back.sql}), so a reader that
 * finds nothing but held-back events looks again at once, leaving marked transactions out. For the others (a
 * concurrent append) it looks again after 1 ms, then 2, 4, … up to 16 ms apart, for up to {@code heldBackWait}, so a
 * short one costs a reader milliseconds, not a polling interval. A transaction that stays open longer holds the
 * stream back until it ends; nothing is skipped.
 *
 * <p>Appends, loading an aggregate, snapshots and the Jackson-serialized payloads are the JDBC engine's own; an
 * event's {@code time_stamp} is read by {@link IsoInstants} when it is in the form Axon writes.
 */
public class CommitOrderedEventStorageEngine extends JdbcEventStorageEngine {

    /** Below every transaction running when the statement's snapshot was taken. */
    private static final String HORIZON = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

    /**
     * Below every transaction running at the snapshot except those that have said they write a read model, and so no
     * event: their {@code application_name} starts with {@code chorus-read-model:} (set by the database's triggers
     * on the read-model tables, {@code V6__read_model_transactions_hold_no_events_back.sql}, which also make such a
     * transaction's append fail). pg_stat_activity is read after the snapshot was taken, and a transaction found
     * there with its id and the mark had the mark while it ran; one not found there counts as a writer of events.
     * {@code backend_xid} is the 32-bit id, the snapshot's are 64-bit with the epoch above.
     */
    private static final String HORIZON_BESIDE_READ_MODELS = "(SELECT coalesce(min(running.xid::text::bigint),"
            + " max(pg_snapshot_xmax(snap.s)::text::bigint)) FROM (SELECT pg_current_snapshot() AS s) snap"
            + " LEFT JOIN LATERAL (SELECT xid FROM pg_snapshot_xip(snap.s) AS xid"
            + " WHERE xid::text::bigint % 4294967296 NOT IN (SELECT backend_xid::text::bigint"
            + " FROM pg_stat_get_activity(NULL) WHERE backend_xid IS NOT NULL"
            + " AND application_name LIKE 'chorus-read-model:%')) running ON true)";

    private static final long MAX_HELD_BACK_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(16);

    private final TransactionManager transactionManager;
    private final long heldBackWaitNanos;
    private volatile GroupCommitter groupCommitter;
    private volatile LongConsumer appendObserver = nanos -> {};
    private volatile LongConsumer heldBackObserver = nanos -> {};

    protected CommitOrderedEventStorageEngine(
            Builder builder, TransactionManager transactionManager, Duration heldBackWait) {
        super(builder.transactionManager(transactionManager));
        this.transactionManager = transactionManager;
        this.heldBackWaitNanos = heldBackWait.toNanos();
    }

    /**
     * Writes appends made outside a transaction (commands) by group commit, up to {@code maxCommands} commands per
     * transaction; an append inside a caller's transaction stays in that transaction.
     */
    public CommitOrderedEventStorageEngine withGroupCommit(int maxCommands) {
        this.groupCommitter = new GroupCommitter(
                events -> transactionManager.executeInTransaction(() -> super.appendEvents(events)),
                this::stored,
                maxCommands);
        return this;
    }

    /**
     * Whether every one of {@code events} is in the store, asked after an append failed: a commit whose answer was
     * lost (the connection broke during {@code COMMIT}) may have stored them, and writing them again would fail on
     * their own rows (or, retried as a command, store an edit twice).
     */
    boolean stored(List<? extends EventMessage<?>> events) {
        String[] identifiers = events.stream().map(EventMessage::getIdentifier).toArray(String[]::new);
        // one read on a connection of its own, outside any transaction (the append's is over)
        return JdbcUtils.executeQuery(
                getConnection(),
                connection -> {
                    PreparedStatement statement = connection.prepareStatement("SELECT count(*) FROM "
                            + schema().domainEventTable() + " WHERE " + schema().eventIdentifierColumn()
                            + " = ANY(?)");
                    statement.setArray(1, connection.createArrayOf("varchar", identifiers));
                    return statement;
                },
                resultSet -> resultSet.next() && resultSet.getLong(1) == identifiers.length,
                e -> new IllegalStateException("looking whether a failed append was stored failed", e));
    }

    /** Tells {@code observer} how long each append took, in nanoseconds (a group-committed one: until durable). */
    public CommitOrderedEventStorageEngine observeAppends(LongConsumer observer) {
        this.appendObserver = observer;
        return this;
    }

    /**
     * Tells {@code observer} how long a reader waited, in nanoseconds, each time it found only events held back
     * behind an older open transaction: until they came out, or until it stopped waiting ({@code heldBackWait}).
     */
    public CommitOrderedEventStorageEngine observeHeldBack(LongConsumer observer) {
        this.heldBackObserver = observer;
        return this;
    }

    @Override
    public void appendEvents(List<? extends EventMessage<?>> events) {
        long start = System.nanoTime();
        GroupCommitter committer = groupCommitter;
        if (committer == null || events.isEmpty() || TransactionSynchronizationManager.isActualTransactionActive()) {
            super.appendEvents(events);
        } else {
            committer.append(events);
        }
        appendObserver.accept(System.nanoTime() - start);
    }

    /** Stops the group-commit writer once what is waiting has been written. */
    public void shutDown() {
        GroupCommitter committer = groupCommitter;
        if (committer != null) {
            committer.close();
        }
    }

    /**
     * An engine on {@code builder}'s settings (schema, serializers, connections) and {@code transactionManager};
     * {@code heldBackWait} as described above.
     */
    public static CommitOrderedEventStorageEngine create(
            Builder builder, TransactionManager transactionManager, Duration heldBackWait) {
        return new CommitOrderedEventStorageEngine(builder, transactionManager, heldBackWait);
    }

    @Override
    protected List<TrackedEventData<?>> fetchTrackedEvents(TrackingToken lastToken, int batchSize) {
        CommitOrderToken after =
                lastToken == null ? CommitOrderToken.TAIL : (CommitOrderToken) WrappedToken.unwrapLowerBound(lastToken);
        Batch batch = fetchBatch(after, batchSize, HORIZON);
        if (!batch.events().isEmpty() || !batch.heldBack()) {
            // events before a hold go first; the reader asks again at once for what follows them
            return batch.events();
        }
        // most of what holds events back is read-model transactions: look again at once without them
        long start = System.nanoTime();
        long deadline = start + heldBackWaitNanos;
        long pauseNanos = TimeUnit.MILLISECONDS.toNanos(1);
        boolean waited = false;
        while (true) {
            batch = fetchBatch(after, batchSize, HORIZON_BESIDE_READ_MODELS);
            if (!batch.events().isEmpty() || !batch.heldBack() || System.nanoTime() >= deadline) {
                if (waited) {
                    heldBackObserver.accept(System.nanoTime() - start);
                }
                return batch.events();
            }
            waited = true;
            // a short hold (a concurrent append) clears in a millisecond; a long one should not cost a query each
            LockSupport.parkNanos(pauseNanos);
            pauseNanos = Math.min(pauseNanos * 2, MAX_HELD_BACK_PAUSE_NANOS);
            if (Thread.currentThread().isInterrupted()) {
                return batch.events();
            }
        }
    }

    /**
     * The stream after {@code trackingToken}, a batch at a time, ending after a batch shorter than the batch size: here
     * that means nothing more is final now (or the rest is held back). Axon's own stream reads on until a batch is
     * empty, because its stock engines return short batches at gaps; here that was one more query, finding nothing,
     * for each time a reader looked.
     */
    @Override
    protected Stream<? extends TrackedEventData<?>> readEventData(TrackingToken trackingToken, boolean mayBlock) {
        return StreamSupport.stream(new Batches(trackingToken), false);
    }

    private final class Batches extends Spliterators.AbstractSpliterator<TrackedEventData<?>> {

        private TrackingToken after;
        private Iterator<TrackedEventData<?>> batch = Collections.emptyIterator();
        private boolean last;

        private Batches(TrackingToken after) {
            super(Long.MAX_VALUE, NONNULL | ORDERED | DISTINCT);
            this.after = after;
        }

        @Override
        public boolean tryAdvance(Consumer<? super TrackedEventData<?>> action) {
            if (!batch.hasNext()) {
                if (last) {
                    return false;
                }
                List<TrackedEventData<?>> events = fetchTrackedEvents(after, batchSize());
                last = events.size() < batchSize();
                batch = events.iterator();
                if (!batch.hasNext()) {
                    return false;
                }
            }
            TrackedEventData<?> next = batch.next();
            after = next.trackingToken();
            action.accept(next);
            return true;
        }
    }

    private record Batch(List<TrackedEventData<?>> events, boolean heldBack) {}

    /**
     * One statement, so it runs without a transaction of its own: its snapshot gives both the rows and the horizon
     * either way, and a transaction around it cost a COMMIT round trip (and a JPA entity manager) on every read of
     * the stream. Inside a caller's transaction it uses that transaction's connection.
     */
    private Batch fetchBatch(CommitOrderToken after, int batchSize, String horizon) {
        return JdbcUtils.executeQuery(
                getConnection(),
                connection -> readAfter(connection, after, batchSize, horizon),
                resultSet -> {
                    List<TrackedEventData<?>> events = new ArrayList<>();
                    boolean heldBack = false;
                    while (resultSet.next()) {
                        long txId = resultSet.getLong("tx_id");
                        if (txId >= resultSet.getLong("horizon")) {
                            // ordered by tx_id: every further row is from a transaction not yet final either
                            heldBack = true;
                            break;
                        }
                        CommitOrderToken token =
                                new CommitOrderToken(txId, resultSet.getLong(schema().globalIndexColumn()));
                        events.add(new TrackedDomainEventData<>(token, getDomainEventData(resultSet)));
                    }
                    return new Batch(events, heldBack);
                },
                e -> new IllegalStateException("reading the event stream after " + after + " failed", e));
    }

    private PreparedStatement readAfter(Connection connection, CommitOrderToken after, int batchSize, String horizon)
            throws SQLException {
        String sql = "SELECT " + horizon + " AS horizon, tx_id, " + trackedEventFields() + " FROM "
                + schema().domainEventTable() + " WHERE (tx_id, " + schema().globalIndexColumn() + ") > (?, ?)"
                + " ORDER BY tx_id, " + schema().globalIndexColumn() + " LIMIT ?";
        PreparedStatement statement = connection.prepareStatement(sql);
        statement.setLong(1, after.txId());
        statement.setLong(2, after.globalIndex());
        statement.setInt(3, batchSize);
        return statement;
    }

    /** Before the first event: a replay from here sees everything. */
    @Override
    public TrackingToken createTailToken() {
        return CommitOrderToken.TAIL;
    }

    /**
     * After every event that is final now: a follower starting here sees every event committed from now on. It is
     * the newest final event's own position (the tail if there is none), not a bare horizon: a reader opened there
     * finds that event among the node's cached ones and shares the node's stream at once, where a position no event
     * has would leave it on a private stream, woken only while some other reader shares it.
     */
    @Override
    public TrackingToken createHeadToken() {
        return transactionManager()
                .fetchInTransaction(() -> JdbcUtils.executeQuery(
                        getConnection(),
                        connection -> connection.prepareStatement("SELECT tx_id, " + schema().globalIndexColumn()
                                + " FROM " + schema().domainEventTable() + " WHERE tx_id < " + HORIZON
                                + " ORDER BY tx_id DESC, " + schema().globalIndexColumn() + " DESC LIMIT 1"),
                        resultSet -> resultSet.next()
                                ? new CommitOrderToken(resultSet.getLong(1), resultSet.getLong(2))
                                : CommitOrderToken.TAIL,
                        e -> new IllegalStateException("reading the stream's head failed", e)));
    }

    /** Just before the first final event stamped at or after {@code at}; the head if there is none. */
    @Override
    public TrackingToken createTokenAt(Instant at) {
        CommitOrderToken first = transactionManager()
                .fetchInTransaction(() -> JdbcUtils.executeQuery(
                        getConnection(),
                        connection -> {
                            PreparedStatement statement = connection.prepareStatement("SELECT tx_id, "
                                    + schema().globalIndexColumn() + " FROM " + schema().domainEventTable()
                                    + " WHERE " + schema().timestampColumn() + "::timestamptz >= ? AND tx_id < "
                                    + HORIZON
                                    + " ORDER BY tx_id, " + schema().globalIndexColumn() + " LIMIT 1");
                            statement.setTimestamp(1, Timestamp.from(at));
                            return statement;
                        },
                        resultSet -> resultSet.next()
                                ? new CommitOrderToken(resultSet.getLong(1), resultSet.getLong(2))
                                : null,
                        e -> new IllegalStateException("finding the stream position at " + at + " failed", e)));
        if (first == null) {
            return createHeadToken();
        }
        return new CommitOrderToken(first.txId(), first.globalIndex() - 1);
    }

    /** As the JDBC engine reads an event, with its time stamp read without a {@code DateTimeFormatter}. */
    @Override
    protected DomainEventData<?> getDomainEventData(ResultSet resultSet) throws SQLException {
        Object timestamp = readTimeStamp(resultSet, schema().timestampColumn());
        if (!(timestamp instanceof String text)) {
            return super.getDomainEventData(resultSet);
        }
        return new IsoTimestampEntry<>(
                resultSet.getString(schema().typeColumn()),
                resultSet.getString(schema().aggregateIdentifierColumn()),
                resultSet.getLong(schema().sequenceNumberColumn()),
                resultSet.getString(schema().eventIdentifierColumn()),
                text,
                resultSet.getString(schema().payloadTypeColumn()),
                resultSet.getString(schema().payloadRevisionColumn()),
                readPayload(resultSet, schema().payloadColumn()),
                readPayload(resultSet, schema().metaDataColumn()));
    }

    /** Axon's entry, its time stamp read by {@link IsoInstants} and, in any other form, by Axon. */
    static final class IsoTimestampEntry<T> extends GenericDomainEventEntry<T> {

        private final String timestamp;

        IsoTimestampEntry(
                String type,
                String aggregateIdentifier,
                long sequenceNumber,
                String eventIdentifier,
                String timestamp,
                String payloadType,
                String payloadRevision,
                T payload,
                T metaData) {
            super(
                    type,
                    aggregateIdentifier,
                    sequenceNumber,
                    eventIdentifier,
                    timestamp,
                    payloadType,
                    payloadRevision,
                    payload,
                    metaData);
            this.timestamp = timestamp;
        }

        @Override
        public Instant getTimestamp() {
            Instant fast = IsoInstants.parseOrNull(timestamp);
            return fast != null ? fast : DateTimeUtils.parseInstant(timestamp);
        }
    }

    private TransactionManager transactionManager() {
        return transactionManager;
    }
}
