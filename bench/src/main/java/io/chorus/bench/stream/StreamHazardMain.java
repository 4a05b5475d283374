package io.chorus.bench.stream;

import io.chorus.bench.BenchContext;
import io.chorus.bench.ReportLine;
import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import io.chorus.eventstore.PostgresEventStoreConfiguration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Iterator;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.serialization.Serializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The long adversarial run of the event stream, by hand:
 *
 * <pre>./mvnw -q -pl bench exec:java -Dexec.mainClass=io.chorus.bench.stream.StreamHazardMain -Dexec.args="1000000 16"</pre>
 *
 * Writes at least the given number of events from the given number of writers (1–3 events per transaction, 1 in
 * 500 transactions held open 0.2–1.5 s before commit, the others up to 2 ms) while a reader follows the stream;
 * prints events lost (must be 0), duplicated and backward steps; then reads the whole run back through the engine
 * and through a raw keyset scan of the table, and prints both rates and their ratio.
 */
public final class StreamHazardMain {

    private StreamHazardMain() {}

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int writers = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int transactionsPerWriter = Math.max(1, events / writers / 2);
        try (ConfigurableApplicationContext context = BenchContext.start()) {
            DataSource dataSource = context.getBean(DataSource.class);
            Serializer serializer = context.getBean(Serializer.class);
            TransactionManager axonTransactions = context.getBean(TransactionManager.class);
            EventStorageEngine engine = CommitOrderedEventStorageEngine.create(
                    PostgresEventStoreConfiguration.jdbcEngine(dataSource, serializer, serializer, 1000),
                    axonTransactions,
                    Duration.ofMillis(200));
            TransactionTemplate transactions =
                    new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
            long firstIndex = maxIndex(dataSource) + 1;
            TrackingToken start = engine.createHeadToken();

            System.out.printf("machine: %s%n", BenchContext.machine());
            System.out.printf("writing >= %d events with %d writers ...%n", events, writers);
            StreamHazardRun.Settings settings = new StreamHazardRun.Settings(
                    writers,
                    transactionsPerWriter,
                    3,
                    0.002,
                    Duration.ofMillis(2),
                    Duration.ofMillis(200),
                    Duration.ofMillis(1500),
                    true,
                    Duration.ofSeconds(5));
            StreamHazardRun.Report report = StreamHazardRun.run("commit-order", engine, transactions, settings);
            System.out.println(report.line());

            long total = report.committed();
            // alternate and keep the best of two, so neither side pays alone for a cold cache or JIT warm-up
            double rawRate = rawKeysetScan(dataSource, firstIndex, total);
            double engineRate = readThroughEngine(engine, start, total);
            rawRate = Math.max(rawRate, rawKeysetScan(dataSource, firstIndex, total));
            engineRate = Math.max(engineRate, readThroughEngine(engine, start, total));
            System.out.printf(
                    "read back %d events (best of 2): engine %.0f events/s, raw keyset scan %.0f events/s, ratio %.2f%n",
                    total, engineRate, rawRate, engineRate / rawRate);
            ReportLine.print(
                    "stream",
                    "events lost / read twice / read out of order, " + total + " events, " + writers + " writers",
                    report.lost() + report.duplicates() + report.backwardSteps(),
                    "",
                    Double.NaN,
                    false,
                    "0",
                    report.lost() + report.duplicates() + report.backwardSteps() == 0);
            ReportLine.print(
                    "stream",
                    "read back through the commit-ordered engine",
                    engineRate,
                    "events/s",
                    rawRate,
                    true,
                    "",
                    true);
            if (report.lost() != 0 || report.duplicates() != 0 || report.backwardSteps() != 0) {
                System.exit(1);
            }
        }
    }

    private static long maxIndex(DataSource dataSource) throws Exception {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s =
                        c.prepareStatement("select coalesce(max(global_index), 0) from domain_event_entry");
                ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static double readThroughEngine(EventStorageEngine engine, TrackingToken start, long expected) {
        long begin = System.nanoTime();
        long read = 0;
        TrackingToken token = start;
        while (read < expected) {
            long before = read;
            try (Stream<? extends TrackedEventMessage<?>> stream = engine.readEvents(token, false)) {
                Iterator<? extends TrackedEventMessage<?>> events = stream.iterator();
                while (events.hasNext()) {
                    TrackedEventMessage<?> event = events.next();
                    event.getPayload();
                    token = event.trackingToken();
                    read++;
                }
            }
            if (read == before) {
                break;
            }
        }
        return read / ((System.nanoTime() - begin) / 1e9);
    }

    /** The same columns read in global index order, 1000 rows a query: what the table gives at best. */
    private static double rawKeysetScan(DataSource dataSource, long firstIndex, long expected) throws Exception {
        long begin = System.nanoTime();
        long read = 0;
        long after = firstIndex - 1;
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("select global_index, event_identifier, aggregate_identifier,"
                        + " sequence_number, type, time_stamp, payload_type, payload_revision, payload, meta_data"
                        + " from domain_event_entry where global_index > ? order by global_index limit 1000")) {
            while (read < expected) {
                s.setLong(1, after);
                long before = read;
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        after = rs.getLong(1);
                        rs.getBytes(9);
                        rs.getBytes(10);
                        read++;
                    }
                }
                if (read == before) {
                    break;
                }
            }
        }
        return read / ((System.nanoTime() - begin) / 1e9);
    }
}
