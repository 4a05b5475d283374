package io.chorus.api.rejection;

/** A message text exceeds the configured limit (HTTP 413). */
public class TextTooLongException extends InvalidFieldException {

    public TextTooLongException(int length, int limit) {
        super("text", "is " + length + " characters long; the limit is " + limit);
    }

    @Override
    public int status() {
        return 413;
    }
}
