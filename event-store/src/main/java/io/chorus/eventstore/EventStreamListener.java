package io.chorus.eventstore;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on the notification channel with a connection of its own and wakes the event store's reader when another
 * process committed events, so a follower learns of an append elsewhere within milliseconds. This process's own
 * notices are ignored: its commits wake its readers directly, and a second wake-up would cost a second read.
 * A lost connection is reopened; meanwhile the reader's fetch delay is the fallback.
 */
public class EventStreamListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventStreamListener.class);

    private final DataSource dataSource;
    private final String channel;
    private final Runnable onNotice;
    private final IntPredicate ownSession;
    private final IntConsumer listeningAs;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean listening;

    /** {@code ownSession}: whether a notice from that database session (backend pid) was sent by this process. */
    public EventStreamListener(DataSource dataSource, String channel, Runnable onNotice, IntPredicate ownSession) {
        this(dataSource, channel, onNotice, ownSession, pid -> {});
    }

    /** {@code listeningAs}: told the database session (backend pid) that listens, each time one does. */
    public EventStreamListener(
            DataSource dataSource,
            String channel,
            Runnable onNotice,
            IntPredicate ownSession,
            IntConsumer listeningAs) {
        this.listeningAs = listeningAs;
        this.dataSource = dataSource;
        this.channel = channel;
        this.onNotice = onNotice;
        this.ownSession = ownSession;
        this.thread = new Thread(this::run, "chorus-event-listener");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Whether the LISTEN is in place (for health checks and tests). */
    public boolean isListening() {
        return listening;
    }

    private void run() {
        while (running) {
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(true);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + channel);
                }
                PGConnection pg = connection.unwrap(PGConnection.class);
                listeningAs.accept(pg.getBackendPID());
                listening = true;
                // events committed while we were not listening
                onNotice.run();
                while (running) {
                    PGNotification[] notices = pg.getNotifications(1000);
                    if (notices != null && fromElsewhere(notices)) {
                        onNotice.run();
                    }
                }
            } catch (SQLException e) {
                listening = false;
                if (running) {
                    log.warn("Event notification channel lost ({}); reconnecting", e.getMessage());
                    sleepQuietly();
                }
            }
        }
        listening = false;
    }

    private boolean fromElsewhere(PGNotification[] notices) {
        for (PGNotification notice : notices) {
            if (!ownSession.test(notice.getPID())) {
                return true;
            }
        }
        return false;
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
