package io.chorus.api.rejection;

/** The caller's role does not permit the command (HTTP 403). */
public class NotAllowedException extends RuntimeException implements Rejection {

    public NotAllowedException(String message) {
        super(message);
    }

    @Override
    public int status() {
        return 403;
    }
}
