package io.chorus.web.ratelimit;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The per-user limits, one token bucket per user and action: {@code burst} at once, refilled at {@code perSecond}
 * (a fraction for slow ones: 0.2 is one every 5 s). A limit left out keeps its action's default
 * ({@link RateLimitedAction}).
 *
 * @param enabled whether anything is limited at all
 */
@ConfigurationProperties("chorus.rate-limit")
public record RateLimitProperties(
        @DefaultValue("true") boolean enabled,
        Limit sends,
        Limit edits,
        Limit deletes,
        Limit readMarkers,
        Limit groupCreates,
        Limit memberChanges) {

    /**
     * One action's limit; each part left out keeps the default.
     *
     * @param enabled whether this action is limited
     * @param perSecond sustained actions per second per user
     * @param burst the most a user may do at once
     */
    public record Limit(Boolean enabled, Double perSecond, Long burst) {}

    /** The limit that applies to an action: what is configured, the action's default for the rest. */
    Limit of(RateLimitedAction action) {
        Limit configured = switch (action) {
            case SENDS -> sends;
            case EDITS -> edits;
            case DELETES -> deletes;
            case READ_MARKERS -> readMarkers;
            case GROUP_CREATES -> groupCreates;
            case MEMBER_CHANGES -> memberChanges;
        };
        Limit given = configured == null ? new Limit(null, null, null) : configured;
        return new Limit(
                enabled && (given.enabled() == null || given.enabled()),
                given.perSecond() == null ? action.defaultPerSecond() : given.perSecond(),
                given.burst() == null ? action.defaultBurst() : given.burst());
    }
}
