package io.chorus.web.ratelimit;

/**
 * What a user does that is limited, each with a bucket of its own per user: a flood of one (read markers moved on
 * every scroll) must not spend another's (sends). Defaults are per user; {@code chorus.rate-limit.<name>.*}
 * changes them.
 */
public enum RateLimitedAction {
    SENDS("sends", "send", "sends", 10, 30),
    EDITS("edits", "edit", "edits", 5, 20),
    DELETES("deletes", "delete", "deletes", 5, 20),
    READ_MARKERS("read-markers", "read", "read markers", 10, 50),
    GROUP_CREATES("group-creates", "create", "group creations", 0.2, 20),
    MEMBER_CHANGES("member-changes", "members", "membership changes", 5, 50);

    private final String property;
    private final String key;
    private final String noun;
    private final double perSecond;
    private final long burst;

    RateLimitedAction(String property, String key, String noun, double perSecond, long burst) {
        this.property = property;
        this.key = key;
        this.noun = noun;
        this.perSecond = perSecond;
        this.burst = burst;
    }

    /** The name under {@code chorus.rate-limit}. */
    public String property() {
        return property;
    }

    /** The Redis key of a user's bucket for this action. */
    String bucketKey(String userId) {
        return "chorus:rate:" + key + ":" + userId;
    }

    /** What a refusal says the caller did too often ("too many sends"). */
    public String noun() {
        return noun;
    }

    double defaultPerSecond() {
        return perSecond;
    }

    long defaultBurst() {
        return burst;
    }
}
