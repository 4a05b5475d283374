package io.chorus.command.group;

import io.chorus.api.Identifiers;
import io.chorus.api.rejection.InvalidFieldException;

/**
 * Checks of identifiers and free text shared by the aggregate and the REST layer, so that both reject the same
 * input with the same message.
 */
public final class Inputs {

    public static final int MAX_CLIENT_MESSAGE_ID = 128;

    private static final int MAX_GROUP_NAME = 100;

    private Inputs() {}

    public static String groupId(String groupId) {
        if (!Identifiers.isGroupId(groupId)) {
            throw new InvalidFieldException("groupId", Identifiers.GROUP_ID_RULE);
        }
        return groupId;
    }

    public static String userId(String field, String userId) {
        if (!Identifiers.isUserId(userId)) {
            throw new InvalidFieldException(field, Identifiers.USER_ID_RULE);
        }
        return userId;
    }

    public static String clientMessageId(String clientMessageId) {
        if (clientMessageId == null || clientMessageId.isEmpty()) {
            throw new InvalidFieldException("clientMessageId", "must not be empty");
        }
        if (clientMessageId.length() > MAX_CLIENT_MESSAGE_ID || hasControlCharacter(clientMessageId, false)) {
            throw new InvalidFieldException(
                    "clientMessageId", "must be at most 128 characters, without control characters");
        }
        return clientMessageId;
    }

    public static String groupName(String name) {
        String stripped = name == null ? "" : name.strip();
        if (stripped.isEmpty()) {
            throw new InvalidFieldException("name", "must not be blank");
        }
        if (stripped.codePointCount(0, stripped.length()) > MAX_GROUP_NAME || hasControlCharacter(stripped, false)) {
            throw new InvalidFieldException("name", "must be at most 100 characters, without control characters");
        }
        return stripped;
    }

    private static final int MAX_TOPIC = 250;

    /** A topic: at most 250 characters, stripped, on one line; {@code ""} (or null) clears it. */
    public static String topic(String topic) {
        String stripped = topic == null ? "" : topic.strip();
        if (stripped.codePointCount(0, stripped.length()) > MAX_TOPIC || hasControlCharacter(stripped, false)) {
            throw new InvalidFieldException("topic", "must be at most 250 characters, without control characters");
        }
        return stripped;
    }

    /**
     * Whether the text holds a control character (newline and tab allowed when {@code multiline}) or half of a
     * surrogate pair, which would not survive a round trip through UTF-8.
     */
    static boolean hasControlCharacter(String text, boolean multiline) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return true;
            }
            if (Character.isLowSurrogate(c)) {
                return true;
            }
            if (Character.isISOControl(c) && !(multiline && (c == '\n' || c == '\t'))) {
                return true;
            }
        }
        return false;
    }
}
