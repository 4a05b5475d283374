package io.chorus.api.group;

/** A member's role in a group. Owners and admins manage membership; a group always keeps one owner. */
public enum Role {
    OWNER,
    ADMIN,
    MEMBER;

    /** Whether this role may add, remove, ban and unban members and change roles. */
    public boolean manages() {
        return this == OWNER || this == ADMIN;
    }
}
