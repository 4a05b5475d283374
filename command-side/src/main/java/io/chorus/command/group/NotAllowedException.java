package io.chorus.command.group;

/** The caller's role does not permit the command (HTTP 403). */
public class NotAllowedException extends RuntimeException {

    public NotAllowedException(String message) {
        super(message);
    }
}
