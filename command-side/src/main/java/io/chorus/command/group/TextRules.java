package io.chorus.command.group;

import io.chorus.api.rejection.InvalidFieldException;
import io.chorus.api.rejection.TextTooLongException;

/**
 * What a message text may be: 1 to {@code maxLength} characters (code points) after stripping surrounding
 * whitespace, with no control characters but newline and tab.
 */
public record TextRules(int maxLength) {

    public TextRules {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be positive");
        }
    }

    /** The text as it will be stored, or an {@link InvalidFieldException} naming {@code text}. */
    public String normalize(String text) {
        String stripped = text == null ? "" : text.strip();
        if (stripped.isEmpty()) {
            throw new InvalidFieldException("text", "must not be blank");
        }
        if (Inputs.hasControlCharacter(stripped, true)) {
            throw new InvalidFieldException(
                    "text", "must not contain control characters other than newline and tab, nor lone surrogates");
        }
        int length = stripped.codePointCount(0, stripped.length());
        if (length > maxLength) {
            throw new TextTooLongException(length, maxLength);
        }
        return stripped;
    }
}
