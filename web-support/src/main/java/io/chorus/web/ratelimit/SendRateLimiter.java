package io.chorus.web.ratelimit;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.redisson.Bucket4jRedisson;
import java.time.Duration;
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
 * The per-user limit on sends, shared by every node and by both ways of sending (REST and STOMP): one token bucket
 * per user in Redis. While Redis cannot be reached, sends are let through (and that is logged): the limit protects
 * the service, and refusing every send because the cache is down would be the greater harm.
 */
@Component
@EnableConfigurationProperties(SendRateLimitProperties.class)
public class SendRateLimiter {

    private static final Logger log = LoggerFactory.getLogger(SendRateLimiter.class);
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final SendRateLimitProperties properties;
    private final RedissonClient redisson;
    private final BucketConfiguration configuration;
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
    private volatile ProxyManager<String> buckets;

    public SendRateLimiter(SendRateLimitProperties properties, RedissonClient redisson) {
        this.properties = properties;
        this.redisson = redisson;
        this.configuration = BucketConfiguration.builder()
                .addLimit(limit ->
                        limit.capacity(properties.burst()).refillGreedy(properties.perSecond(), Duration.ofSeconds(1)))
                .build();
    }

    /** Takes one send from the user's bucket: empty if allowed, else how long until the next send is. */
    public Optional<Duration> acquire(String userId) {
        if (!properties.enabled()) {
            return Optional.empty();
        }
        try {
            ConsumptionProbe probe = buckets()
                    .builder()
                    .build("chorus:rate:send:" + userId, () -> configuration)
                    .tryConsumeAndReturnRemaining(1);
            if (probe.isConsumed()) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            long last = lastWarning.get();
            if (now - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
                log.warn("send rate limit not applied: Redis did not answer ({})", e.toString());
            }
            return Optional.empty();
        }
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
