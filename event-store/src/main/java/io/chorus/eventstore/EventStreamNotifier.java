package io.chorus.eventstore;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells other processes on the database that events were committed, with {@code NOTIFY} on a channel of its own
 * connection. Notices are coalesced: however many appends commit while one notice is being sent, one more notice
 * follows, so the cost does not grow with the append rate, and appends never wait for it (a NOTIFY inside the
 * append's transaction would serialize commits on Postgres's notification queue lock).
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

    /** Called after a commit that appended events; returns at once. */
    public void appended() {
        if (pending.availablePermits() == 0) {
            pending.release();
        }
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
                try (Statement statement = connection.createStatement()) {
                    statement.execute("NOTIFY " + channel);
                }
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
