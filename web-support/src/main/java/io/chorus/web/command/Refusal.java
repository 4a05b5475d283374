package io.chorus.web.command;

import io.chorus.api.rejection.InvalidFieldException;
import io.chorus.api.rejection.Rejection;
import io.chorus.web.problem.Problems;
import io.chorus.web.ratelimit.RateLimitedException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.axonframework.commandhandling.CommandExecutionException;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.axonframework.modelling.command.AggregateStreamCreationException;
import org.axonframework.modelling.command.ConcurrencyException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/**
 * Why a command was refused, as every entry point answers it: an HTTP status, the field it is about (or null),
 * the detail, and for a rate limit how long to wait. A refused command stored nothing. Problem details (REST) and
 * error acks (STOMP) are both made from this, so one refusal reads the same on both.
 *
 * @param reason the detail without the field's name, for a problem detail's {@code errors} entry (null without a
 *     field)
 * @param retryAfter how long until the action is admitted again, or null
 */
public record Refusal(int status, String field, String reason, String detail, Duration retryAfter) {

    private static Refusal of(int status, String detail) {
        return new Refusal(status, null, null, detail, null);
    }

    /** The refusal a command's failure stands for, or empty for a failure that is no refusal (a fault). */
    public static Optional<Refusal> of(Throwable failure) {
        Throwable cause = unwrapped(failure);
        if (cause instanceof InvalidFieldException invalid) {
            return Optional.of(
                    new Refusal(invalid.status(), invalid.field(), invalid.reason(), invalid.getMessage(), null));
        }
        if (cause instanceof Rejection rejection) {
            return Optional.of(new Refusal(
                    rejection.status(), rejection.field(), null, ((Throwable) rejection).getMessage(), null));
        }
        if (cause instanceof RateLimitedException limited) {
            return Optional.of(new Refusal(429, null, null, limited.getMessage(), limited.retryAfter()));
        }
        if (cause instanceof AggregateNotFoundException notFound) {
            return Optional.of(of(404, "unknown group " + notFound.getAggregateIdentifier()));
        }
        if (cause instanceof AggregateStreamCreationException) {
            return Optional.of(of(409, "the group already exists; nothing was stored"));
        }
        if (cause instanceof ConcurrencyException) {
            // every retry lost against concurrent writers, or a creation that met a group made meanwhile
            return Optional.of(of(409, "the group already exists or changed concurrently; nothing was stored"));
        }
        if (cause instanceof IllegalArgumentException) {
            return Optional.of(of(400, cause.getMessage()));
        }
        return Optional.empty();
    }

    /** The failure itself, out of the wrappers futures and Axon's gateway put around it. */
    public static Throwable unwrapped(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException
                        || cause instanceof ExecutionException
                        || cause instanceof CommandExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** The refusal as a problem detail: with an {@code errors} entry when it is about a field. */
    public ResponseEntity<ProblemDetail> problem() {
        HttpStatus httpStatus = HttpStatus.valueOf(status);
        ProblemDetail problem = field != null && reason != null
                ? Problems.invalidFields(httpStatus, detail, List.of(new Problems.FieldError(field, reason)))
                : Problems.problem(httpStatus, detail);
        return Problems.respond(problem);
    }
}
