package io.chorus.api.rejection;

/** The command contradicts the group's current state (HTTP 409). */
public class GroupConflictException extends RuntimeException implements Rejection {

    public GroupConflictException(String message) {
        super(message);
    }

    @Override
    public int status() {
        return 409;
    }
}
