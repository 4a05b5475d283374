package io.chorus.api.rejection;

/** No message of the group sits at the given seq (HTTP 404). */
public class NoSuchMessageException extends RuntimeException implements Rejection {

    public NoSuchMessageException(String groupId, long seq) {
        super("group " + groupId + " has no message at seq " + seq);
    }

    @Override
    public int status() {
        return 404;
    }
}
