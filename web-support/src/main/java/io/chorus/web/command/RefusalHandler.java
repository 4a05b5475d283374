package io.chorus.web.command;

import io.chorus.api.rejection.GroupConflictException;
import io.chorus.api.rejection.InvalidFieldException;
import io.chorus.api.rejection.NoSuchMessageException;
import io.chorus.api.rejection.NotAllowedException;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.axonframework.modelling.command.AggregateStreamCreationException;
import org.axonframework.modelling.command.ConcurrencyException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Refused commands as problem details, made by {@link Refusal} as STOMP's error acks are. A new kind of refusal
 * is listed here as well as in {@link Refusal#of}.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class RefusalHandler {

    @ExceptionHandler({
        InvalidFieldException.class,
        NotAllowedException.class,
        GroupConflictException.class,
        NoSuchMessageException.class,
        AggregateNotFoundException.class,
        AggregateStreamCreationException.class,
        ConcurrencyException.class
    })
    ResponseEntity<ProblemDetail> refused(RuntimeException refusal) {
        return Refusal.of(refusal)
                .orElseThrow(() -> new IllegalStateException("not a refusal", refusal))
                .problem();
    }
}
