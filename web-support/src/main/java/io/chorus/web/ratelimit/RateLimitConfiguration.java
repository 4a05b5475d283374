package io.chorus.web.ratelimit;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** {@link RateLimited} controller methods go through the limiter. */
@Configuration
class RateLimitConfiguration implements WebMvcConfigurer {

    private final RateLimiter limiter;

    RateLimitConfiguration(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new RateLimitInterceptor(limiter)).addPathPatterns("/api/**");
    }
}
