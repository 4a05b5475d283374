package io.chorus.eventstore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells other processes on the database that events were committed, with {@code NOTIFY} on a channel of its own
 * connection. Notices are coalesced: however many appends commit while one notice is being sent, one more notice
 * follows, so the cost does not grow with the append rate, and appends never wait for it (a NOTIFY inside the
 * append's transaction would serialize commits on Postgres's notification queue lock).
 *
 * <p>A notice is only sent while another process listens on the channel: at most once per {@link #CHECK_INTERVAL}
 * the notifier looks in {@code pg_stat_activity} for a session whose last statement was this channel's {@code
 * LISTEN}, other than this process's own listener ({@link #listenerAt}). A single node thus sends none (each cost a
 * round trip here, a transaction in PostgreSQL and a wake-up of this node's listener), and between two looks its
 * commits do not even wake the notifier's thread (a hand-over per commit for nothing). A node that starts listening
 * reads what was committed before, and until the others see it (within the interval) its fetch delay covers it. When
 * PostgreSQL does not show the statements ({@code track_activities} off, or a session of a role this one may not
 * see), the notifier assumes a listener and notifies.
 */
public class EventStreamNotifier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventStreamNotifier.class);

    private final DataSource dataSource;
    private final String channel;
    private final Semaphore pending = new Semaphore(0);
    private final Thread thread;
    private volatile boolean running = true;
    /** The database session that sends this process's notices; -1 while there is none. */
    private volatile int backendPid = -1;
    /** The database session of this process's own listener; -1 while there is none. */
    private volatile int listenerPid = -1;
    /** Whether the last look found another process listening. */
    private volatile boolean othersListen;
    /** When that look was (nanoTime); a whole interval back at first, so that the first request looks. */
    private volatile long lookedAt = System.nanoTime() - CHECK_INTERVAL_NANOS;

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong handled = new AtomicLong();

    /** How often the notifier looks again whether other processes listen. */
    static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

    private static final long CHECK_INTERVAL_NANOS = CHECK_INTERVAL.toNanos();

    private static final String OTHERS_LISTEN = """
            SELECT current_setting('track_activities') = 'off'
                OR EXISTS (SELECT 1 FROM pg_stat_activity
                           WHERE pid <> pg_backend_pid() AND pid <> ?
                             AND (query = ? OR query = '<insufficient privilege>'))""";

    public EventStreamNotifier(DataSource dataSource, String channel) {
        this.dataSource = dataSource;
        this.channel = channel;
        this.thread = new Thread(this::run, "chorus-event-notifier");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Whether a notice from database session {@code pid} is one this notifier sent (this process's listener need not
     * wake for it: the commit already woke this process's readers).
     */
    public boolean sentBy(int pid) {
        return pid == backendPid;
    }

    /** Tells the notifier which database session is this process's own listener (not another process). */
    public void listenerAt(int pid) {
        listenerPid = pid;
    }

    /** Notices sent so far (for tests). */
    public long noticesSent() {
        return sent.get();
    }

    /** Times the notifier's thread was woken to notify so far, a notice sent or not (for tests). */
    public long requestsHandled() {
        return handled.get();
    }

    /**
     * Called after a commit that appended events; returns at once. The notifier's thread is woken only when a notice
     * is wanted: another process listened at the last look, or the next look is due.
     */
    public void appended() {
        if ((othersListen || lookDue(System.nanoTime())) && pending.availablePermits() == 0) {
            pending.release();
        }
    }

    private boolean lookDue(long now) {
        return now - lookedAt >= CHECK_INTERVAL_NANOS;
    }

    private void run() {
        Connection connection = null;
        while (running) {
            try {
                if (!pending.tryAcquire(1, TimeUnit.SECONDS)) {
                    continue;
                }
                pending.drainPermits();
                if (connection == null || connection.isClosed()) {
                    connection = dataSource.getConnection();
                    connection.setAutoCommit(true);
                    backendPid = connection.unwrap(PGConnection.class).getBackendPID();
                }
                if (othersListen(connection)) {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("NOTIFY " + channel);
                    }
                    sent.incrementAndGet();
                }
                handled.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (SQLException e) {
                // readers elsewhere still find the events at their next poll
                log.warn("Could not notify other nodes of new events: {}", e.getMessage());
                backendPid = -1;
                closeQuietly(connection);
                connection = null;
            }
        }
        closeQuietly(connection);
    }

    private boolean othersListen(Connection connection) throws SQLException {
        long now = System.nanoTime();
        if (lookDue(now)) {
            try (PreparedStatement look = connection.prepareStatement(OTHERS_LISTEN)) {
                look.setInt(1, listenerPid);
                look.setString(2, "LISTEN " + channel);
                try (ResultSet result = look.executeQuery()) {
                    result.next();
                    othersListen = result.getBoolean(1);
                }
            }
            lookedAt = now;
        }
        return othersListen;
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
