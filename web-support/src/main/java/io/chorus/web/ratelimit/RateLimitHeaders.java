package io.chorus.web.ratelimit;

import jakarta.servlet.http.HttpServletResponse;

/** Where a caller stands with a limit, in the headers of an HTTP answer. */
public final class RateLimitHeaders {

    private RateLimitHeaders() {}

    public static void write(HttpServletResponse response, RateLimiter.Decision decision) {
        response.setHeader("X-RateLimit-Limit", Long.toString(decision.limit()));
        response.setHeader("X-RateLimit-Remaining", Long.toString(decision.remaining()));
        response.setHeader("X-RateLimit-Reset", Long.toString(RateLimitedException.seconds(decision.reset())));
    }
}
