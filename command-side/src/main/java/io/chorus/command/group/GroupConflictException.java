package io.chorus.command.group;

/** The command contradicts the group's current state (HTTP 409). */
public class GroupConflictException extends RuntimeException {

    public GroupConflictException(String message) {
        super(message);
    }
}
