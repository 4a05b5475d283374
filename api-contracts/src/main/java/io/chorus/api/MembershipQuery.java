package io.chorus.api;

/**
 * Asks the query side for a user's membership of a group (answered with an optional
 * {@link MembershipLookup.Membership}). Push nodes that run apart from the query side send it over Axon's query bus
 * (routed by Axon Server in the distributed mode).
 */
public record MembershipQuery(String groupId, String userId) {}
