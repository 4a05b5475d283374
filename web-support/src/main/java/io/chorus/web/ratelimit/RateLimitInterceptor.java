package io.chorus.web.ratelimit;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.security.Principal;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

/** Applies {@link RateLimited} to HTTP calls and writes the caller's standing with the limit into the answer. */
class RateLimitInterceptor implements HandlerInterceptor {

    private final RateLimiter limiter;

    RateLimitInterceptor(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!(handler instanceof HandlerMethod method)) {
            return true;
        }
        RateLimited limited = method.getMethodAnnotation(RateLimited.class);
        Principal caller = request.getUserPrincipal();
        if (limited == null || caller == null) {
            return true;
        }
        limiter.acquire(limited.value(), caller.getName()).ifPresent(decision -> {
            RateLimitHeaders.write(response, decision);
            if (!decision.allowed()) {
                throw new RateLimitedException(limited.value(), decision.retryAfter());
            }
        });
        return true;
    }
}
