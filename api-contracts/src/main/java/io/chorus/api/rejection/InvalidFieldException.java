package io.chorus.api.rejection;

/** A field of a command is malformed (HTTP 400, naming the field). */
public class InvalidFieldException extends IllegalArgumentException implements Rejection {

    private final String field;

    public InvalidFieldException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    @Override
    public String field() {
        return field;
    }

    /** The message without the field name, for a problem detail's {@code errors} entry. */
    public String reason() {
        return getMessage().substring(field.length() + 2);
    }

    @Override
    public int status() {
        return 400;
    }
}
