package io.chorus.web.ratelimit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a controller method whose calls spend the caller's bucket for the action, before the body is read: a
 * refused call is 429 with {@code Retry-After}; every answer carries {@code X-RateLimit-Limit}, {@code -Remaining}
 * and {@code -Reset} ({@link RateLimitInterceptor}).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface RateLimited {
    RateLimitedAction value();
}
