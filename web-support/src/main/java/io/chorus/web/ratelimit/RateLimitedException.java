package io.chorus.web.ratelimit;

import java.time.Duration;

/** The caller acted faster than the limit allows; nothing was stored (HTTP 429 with {@code Retry-After}). */
public class RateLimitedException extends RuntimeException {

    private final Duration retryAfter;

    public RateLimitedException(RateLimitedAction action, Duration retryAfter) {
        super("too many " + action.noun() + "; retry after " + retryAfterSeconds(retryAfter) + " s");
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    /** Whole seconds, rounded up, at least 1, as {@code Retry-After} carries them. */
    public static long retryAfterSeconds(Duration retryAfter) {
        return Math.max(1, seconds(retryAfter));
    }

    /** Whole seconds, rounded up. */
    static long seconds(Duration duration) {
        return (duration.toMillis() + 999) / 1000;
    }
}
