package io.chorus.command.web;

import io.chorus.command.group.GroupConflictException;
import io.chorus.command.group.InvalidFieldException;
import io.chorus.command.group.NoSuchMessageException;
import io.chorus.command.group.NotAllowedException;
import io.chorus.command.group.TextTooLongException;
import io.chorus.web.problem.Problems;
import java.util.List;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.axonframework.modelling.command.AggregateStreamCreationException;
import org.axonframework.modelling.command.ConcurrencyException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Rejected commands as problem details. A rejected command has stored nothing. */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class CommandErrorHandler {

    @ExceptionHandler(TextTooLongException.class)
    ResponseEntity<ProblemDetail> textTooLong(TextTooLongException ex) {
        return invalidField(HttpStatus.PAYLOAD_TOO_LARGE, ex);
    }

    @ExceptionHandler(InvalidFieldException.class)
    ResponseEntity<ProblemDetail> invalidField(InvalidFieldException ex) {
        return invalidField(HttpStatus.BAD_REQUEST, ex);
    }

    @ExceptionHandler(NotAllowedException.class)
    ResponseEntity<ProblemDetail> notAllowed(NotAllowedException ex) {
        return Problems.respond(Problems.problem(HttpStatus.FORBIDDEN, ex.getMessage()));
    }

    @ExceptionHandler(GroupConflictException.class)
    ResponseEntity<ProblemDetail> conflict(GroupConflictException ex) {
        return Problems.respond(Problems.problem(HttpStatus.CONFLICT, ex.getMessage()));
    }

    @ExceptionHandler({AggregateStreamCreationException.class, ConcurrencyException.class})
    ResponseEntity<ProblemDetail> concurrent(RuntimeException ex) {
        // creating a group whose id is taken, or losing every retry against concurrent writers
        return Problems.respond(Problems.problem(
                HttpStatus.CONFLICT, "the group already exists or changed concurrently; nothing was stored"));
    }

    @ExceptionHandler(NoSuchMessageException.class)
    ResponseEntity<ProblemDetail> noSuchMessage(NoSuchMessageException ex) {
        return Problems.respond(Problems.problem(HttpStatus.NOT_FOUND, ex.getMessage()));
    }

    @ExceptionHandler(AggregateNotFoundException.class)
    ResponseEntity<ProblemDetail> unknownGroup(AggregateNotFoundException ex) {
        return Problems.respond(Problems.problem(HttpStatus.NOT_FOUND, "unknown group " + ex.getAggregateIdentifier()));
    }

    private static ResponseEntity<ProblemDetail> invalidField(HttpStatus status, InvalidFieldException ex) {
        return Problems.respond(Problems.invalidFields(
                status, ex.getMessage(), List.of(new Problems.FieldError(ex.field(), ex.reason()))));
    }
}
