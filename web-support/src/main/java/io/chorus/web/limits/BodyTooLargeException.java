package io.chorus.web.limits;

import java.io.IOException;

/**
 * A request body of unknown length (chunked) went past the limit while it was read: an {@link IOException}, so that
 * whatever reads it (Jackson, a servlet) stops, and the problem handler answers 413 when it finds it as a cause.
 */
public class BodyTooLargeException extends IOException {

    public BodyTooLargeException(long limit) {
        super("the request body is larger than the limit of " + limit + " bytes");
    }
}
