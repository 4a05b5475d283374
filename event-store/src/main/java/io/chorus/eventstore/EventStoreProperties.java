package io.chorus.eventstore;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The PostgreSQL event store.
 *
 * @param fetchDelay how long an idle reader waits before looking again when no wake-up came (the safety net)
 * @param heldBackWait how long a reader keeps looking (after 1, 2, 4, … 16 ms) when committed events wait behind an
 *     older running transaction
 * @param batchSize events read per query
 * @param channel the LISTEN/NOTIFY channel that tells every node of new events
 * @param cachedEvents the newest events kept in memory for the node's stream readers (Axon's embedded event store); a
 *     reader further behind reads from the database until it has caught up. Axon keeps 10,000: at 2,000 events/s
 *     they lived five seconds, long enough to be copied through the young generation into the old one (they led a
 *     JFR record of promotions under load); alternated push benchmark runs had a median of 5.5–7.2 ms against 3.7–4.3 ms
 *     with 1,000 (within the spread of a day's runs on the shared build machine)
 * @param groupCommit whether the appends of concurrent commands share transactions
 */
@ConfigurationProperties("chorus.event-store")
public record EventStoreProperties(
        @DefaultValue("1s") Duration fetchDelay,
        @DefaultValue("200ms") Duration heldBackWait,
        @DefaultValue("500") int batchSize,
        @DefaultValue("chorus_events") String channel,
        @DefaultValue("1000") int cachedEvents,
        @DefaultValue GroupCommit groupCommit) {

    /**
     * @param enabled whether commands append through the group-commit writer (their command handling then runs
     *     without a database transaction of its own; the property {@code chorus.event-store.group-commit.enabled}
     *     is also read by the command side)
     * @param maxCommands most commands whose events share one transaction
     */
    public record GroupCommit(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("64") int maxCommands) {}
}
