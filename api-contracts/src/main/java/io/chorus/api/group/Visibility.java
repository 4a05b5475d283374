package io.chorus.api.group;

/** Who may enter a group: anyone who joins ({@code OPEN}), or only those an owner or admin adds. */
public enum Visibility {
    OPEN,
    INVITE
}
