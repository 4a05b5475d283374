package io.chorus.web.ratelimit;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The per-user send limit: {@code burst} sends at once, refilled at {@code perSecond}.
 *
 * @param enabled whether sends are limited at all
 * @param perSecond sustained sends per second per user
 * @param burst the most sends a user may make at once
 */
@ConfigurationProperties("chorus.rate-limit.sends")
public record SendRateLimitProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("10") long perSecond,
        @DefaultValue("30") long burst) {}
