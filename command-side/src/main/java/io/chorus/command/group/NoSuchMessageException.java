package io.chorus.command.group;

/** No message of the group sits at the given seq (HTTP 404). */
public class NoSuchMessageException extends RuntimeException {

    public NoSuchMessageException(String groupId, long seq) {
        super("group " + groupId + " has no message at seq " + seq);
    }
}
