package io.chorus.command.infrastructure;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.commandhandling.gateway.RetryScheduler;
import org.axonframework.modelling.command.ConcurrencyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries a command that lost the race for its group's next position (another writer appended first, so the
 * event store's unique (aggregate id, sequence number) refused the append), after a short random pause. The
 * failed attempt rolled back and dropped the group from the cache, so the retry decides on the group as it is now.
 * A broken rule or bad input is never retried.
 *
 * <p>Axon's {@code IntervalRetryScheduler} tests its non-transient predicate against every cause of a failure as
 * well, so the SQL exception under a {@link ConcurrencyException} would stop it from retrying.
 */
final class ConcurrencyRetryScheduler implements RetryScheduler {

    private static final Logger log = LoggerFactory.getLogger(ConcurrencyRetryScheduler.class);

    private final ScheduledExecutorService executor;
    private final int maxRetries;

    ConcurrencyRetryScheduler(ScheduledExecutorService executor, int maxRetries) {
        this.executor = executor;
        this.maxRetries = maxRetries;
    }

    @Override
    public boolean scheduleRetry(
            CommandMessage commandMessage,
            RuntimeException lastFailure,
            List<Class<? extends Throwable>[]> failures,
            Runnable dispatchTask) {
        if (!lostARace(lastFailure) || failures.size() > maxRetries) {
            return false;
        }
        // up to 10 ms more per lost race: three nodes sending to one group lost 5 quick retries now and then
        // (ClusterIT)
        long pauseMillis = ThreadLocalRandom.current().nextLong(1, 10L * failures.size() + 1);
        log.debug(
                "{} lost a concurrent append; retry {} in {} ms",
                commandMessage.getPayloadType(),
                failures.size(),
                pauseMillis);
        executor.schedule(dispatchTask, pauseMillis, TimeUnit.MILLISECONDS);
        return true;
    }

    static boolean lostARace(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConcurrencyException) {
                return true;
            }
        }
        return false;
    }
}
