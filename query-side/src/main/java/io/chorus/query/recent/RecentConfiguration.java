package io.chorus.query.recent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chorus.query.history.PostgresHistoryReader;
import io.chorus.query.projection.ProjectionSlots;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.redisson.api.RedissonClient;
import org.redisson.spring.starter.RedissonAutoConfigurationCustomizer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Redis recent window: its two slot projections and its reader. */
@Configuration
class RecentConfiguration {

    @Bean
    RecentWindow recentWindow(
            RedissonClient redisson, ObjectMapper json, @Value("${chorus.query.recent-window:200}") int size) {
        if (size < 1) {
            throw new IllegalArgumentException("chorus.query.recent-window must be 1 or more, not " + size);
        }
        return new RecentWindow(redisson, json, size);
    }

    @Bean
    RecentWindowProjection recentWindowA(RecentWindow window, RedissonClient redisson) {
        return new RecentWindowProjection("a", window, redisson);
    }

    @Bean
    RecentWindowProjection recentWindowB(RecentWindow window, RedissonClient redisson) {
        return new RecentWindowProjection("b", window, redisson);
    }

    @Bean(destroyMethod = "shutdownNow")
    ExecutorService recentWindowRefills() {
        // one thread, a bounded queue: refills are cheap and a flood of cold groups must not pile up threads
        return new ThreadPoolExecutor(
                1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1000), new ThreadPoolExecutor.DiscardPolicy());
    }

    @Bean
    RedisHistoryReader redisHistoryReader(
            RecentWindow window,
            ProjectionSlots slots,
            PostgresHistoryReader postgres,
            ExecutorService recentWindowRefills) {
        return new RedisHistoryReader(window, slots, postgres, recentWindowRefills);
    }

    /**
     * Redis is a cache: the app starts without it (lazy connection), and a read that Redis does not answer within
     * half a second falls back to PostgreSQL instead of waiting for Redisson's default retries.
     */
    @Bean
    RedissonAutoConfigurationCustomizer chorusRedisson() {
        return config -> {
            config.setLazyInitialization(true);
            if (config.isSingleConfig()) {
                config.useSingleServer().setTimeout(500).setConnectTimeout(500).setRetryAttempts(1);
            }
        };
    }
}
