package io.chorus.web.ratelimit;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.redisson.Bucket4jRedisson;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;

/**
 * The per-user limits, shared by every node and by both ways of sending (REST and STOMP): one token bucket per user
 * and action in Redis. While Redis cannot be reached, actions are let through (and that is logged): the limit
 * protects the service, and refusing every send because the cache is down would be the greater harm.
 */
@Component
@EnableConfigurationProperties(RateLimitProperties.class)
public class RateLimiter {

    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final RedissonClient redisson;
    private final Map<RateLimitedAction, RateLimitProperties.Limit> limits = new EnumMap<>(RateLimitedAction.class);
    private final Map<RateLimitedAction, BucketConfiguration> configurations = new EnumMap<>(RateLimitedAction.class);
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
    private volatile ProxyManager<String> buckets;

    public RateLimiter(RateLimitProperties properties, RedissonClient redisson) {
        this.redisson = redisson;
        for (RateLimitedAction action : RateLimitedAction.values()) {
            RateLimitProperties.Limit limit = properties.of(action);
            if (limit.perSecond() <= 0 || limit.burst() < 1) {
                throw new IllegalArgumentException(
                        "chorus.rate-limit." + action.property() + ": per-second must be above 0 and burst at least 1");
            }
            limits.put(action, limit);
            // one token per 1/rate: a greedy refill spreads it, so that a rate below one per second works too
            Duration perToken = Duration.ofNanos(Math.max(1, Math.round(1e9 / limit.perSecond())));
            configurations.put(
                    action,
                    BucketConfiguration.builder()
                            .addLimit(l -> l.capacity(limit.burst()).refillGreedy(1, perToken))
                            .build());
        }
    }

    /**
     * Where a user stands with an action's limit after trying it once.
     *
     * @param allowed whether this call was admitted (and spent a token)
     * @param limit the bucket's size
     * @param remaining what is left in it
     * @param reset how long until it is full again
     * @param retryAfter for a refused call, how long until the next one is admitted
     */
    public record Decision(boolean allowed, long limit, long remaining, Duration reset, Duration retryAfter) {}

    /** Spends one of the user's actions: empty when the action is not limited (or Redis cannot be reached). */
    public Optional<Decision> acquire(RateLimitedAction action, String userId) {
        RateLimitProperties.Limit limit = limits.get(action);
        if (!limit.enabled()) {
            return Optional.empty();
        }
        try {
            ConsumptionProbe probe = buckets()
                    .builder()
                    .build(action.bucketKey(userId), () -> configurations.get(action))
                    .tryConsumeAndReturnRemaining(1);
            return Optional.of(new Decision(
                    probe.isConsumed(),
                    limit.burst(),
                    probe.getRemainingTokens(),
                    Duration.ofNanos(probe.getNanosToWaitForReset()),
                    Duration.ofNanos(probe.isConsumed() ? 0 : probe.getNanosToWaitForRefill())));
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            long last = lastWarning.get();
            if (now - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
                log.warn("rate limits not applied: Redis did not answer ({})", e.toString());
            }
            return Optional.empty();
        }
    }

    /** Spends one of the user's actions: empty if allowed, else how long until the next one is. */
    public Optional<Duration> refusal(RateLimitedAction action, String userId) {
        return acquire(action, userId).filter(d -> !d.allowed()).map(Decision::retryAfter);
    }

    private ProxyManager<String> buckets() {
        ProxyManager<String> manager = buckets;
        if (manager == null) {
            // built on first use: Redisson connects lazily, so the app starts without Redis
            manager = Bucket4jRedisson.casBasedBuilder(((Redisson) redisson).getCommandExecutor())
                    .expirationAfterWrite(
                            ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
                    .build();
            buckets = manager;
        }
        return manager;
    }
}
