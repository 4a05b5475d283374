package io.chorus.api;

import java.util.regex.Pattern;

/**
 * What a group id and a user id may look like. Group ids appear in STOMP destinations
 * ({@code /topic/groups.{groupId}}), so they hold no dots; user ids are a token's {@code sub}.
 */
public final class Identifiers {

    /** 1 to 64 letters, digits, '_' or '-'. */
    public static final Pattern GROUP_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** 1 to 128 letters, digits or one of {@code . _ @ : + -}. */
    public static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9._@:+-]{1,128}");

    /** What a group id must be, as error messages say it. */
    public static final String GROUP_ID_RULE = "must be 1 to 64 letters, digits, '_' or '-'";

    /** What a user id must be, as error messages say it. */
    public static final String USER_ID_RULE = "must be 1 to 128 letters, digits or one of . _ @ : + -";

    private Identifiers() {}

    public static boolean isGroupId(String value) {
        return value != null && GROUP_ID.matcher(value).matches();
    }

    public static boolean isUserId(String value) {
        return value != null && USER_ID.matcher(value).matches();
    }
}
