package io.chorus.api;

import java.util.Optional;

/**
 * Who is a member of a group, as the query side's read model knows it once it has caught up with the group's last
 * committed event (or after a short wait, as far as it got). Lets an entry point (realtime push) authorize without
 * depending on the query side's classes.
 */
public interface MembershipLookup {

    /** The user's membership of the group, or empty for a non-member or an unknown group. */
    Optional<Membership> membership(String groupId, String userId);

    /**
     * A member's role ("owner", "admin", "member") as of the group's event {@code asOfSeq}: events after it (a
     * removal, say) are not reflected yet.
     */
    record Membership(String role, long asOfSeq) {}
}
