package io.chorus.web.problem;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.chorus.web.limits.BodyTooLargeException;
import io.chorus.web.ratelimit.RateLimitedException;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Web-level failures (unreadable JSON, wrong types, unknown paths) as problem details naming the field, and
 * anything unexpected as a 500 that carries no stack trace.
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
public class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    @ExceptionHandler(RateLimitedException.class)
    ResponseEntity<ProblemDetail> rateLimited(RateLimitedException ex) {
        return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
                .header(HttpHeaders.RETRY_AFTER, Long.toString(RateLimitedException.retryAfterSeconds(ex.retryAfter())))
                .body(Problems.problem(HttpStatus.TOO_MANY_REQUESTS, ex.getMessage()));
    }

    private static Throwable cause(Throwable thrown, Class<? extends Throwable> type) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return t;
            }
        }
        return null;
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ProblemDetail problem;
        Throwable tooLarge = cause(ex, BodyTooLargeException.class);
        Throwable constraint = cause(ex, StreamConstraintsException.class);
        if (tooLarge != null) {
            return ResponseEntity.status(HttpStatus.PAYLOAD_TOO_LARGE)
                    .headers(headers)
                    .body(Problems.problem(HttpStatus.PAYLOAD_TOO_LARGE, tooLarge.getMessage()));
        }
        if (constraint instanceof StreamConstraintsException limit) {
            problem = Problems.problem(
                    HttpStatus.BAD_REQUEST, "the request body exceeds a limit: " + limit.getOriginalMessage());
        } else if (ex.getCause() instanceof MismatchedInputException mismatch
                && !mismatch.getPath().isEmpty()) {
            String field = path(mismatch);
            String expected =
                    mismatch.getTargetType() == null ? "a different type" : typeName(mismatch.getTargetType());
            String message = mismatch instanceof InvalidFormatException invalid
                    ? "cannot read " + describe(invalid.getValue()) + " as " + expected
                    : "must be " + expected;
            problem = Problems.invalidFields(
                    HttpStatus.BAD_REQUEST,
                    "field " + field + " " + message,
                    List.of(new Problems.FieldError(field, message)));
        } else {
            problem = Problems.problem(HttpStatus.BAD_REQUEST, "the request body is missing or is not valid JSON");
        }
        return ResponseEntity.badRequest().headers(headers).body(problem);
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(
            MethodArgumentNotValidException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<Problems.FieldError> errors = ex.getBindingResult().getFieldErrors().stream()
                .map(e -> new Problems.FieldError(e.getField(), e.getDefaultMessage()))
                .toList();
        String detail = errors.stream().map(e -> e.field() + " " + e.message()).collect(Collectors.joining("; "));
        return ResponseEntity.badRequest()
                .headers(headers)
                .body(Problems.invalidFields(HttpStatus.BAD_REQUEST, detail, errors));
    }

    @Override
    protected ResponseEntity<Object> handleTypeMismatch(
            TypeMismatchException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String field = ex instanceof MethodArgumentTypeMismatchException argument
                ? argument.getName()
                : String.valueOf(ex.getPropertyName());
        String message = "cannot read " + describe(ex.getValue()) + " as "
                + (ex.getRequiredType() == null ? "the expected type" : typeName(ex.getRequiredType()));
        return ResponseEntity.badRequest()
                .headers(headers)
                .body(Problems.invalidFields(
                        HttpStatus.BAD_REQUEST,
                        field + " " + message,
                        List.of(new Problems.FieldError(field, message))));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception ex) {
        log.error("Unexpected failure while handling a request", ex);
        return Problems.respond(
                Problems.problem(HttpStatus.INTERNAL_SERVER_ERROR, "an unexpected error occurred; it was logged"));
    }

    private static String path(JsonMappingException ex) {
        return ex.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
    }

    private static String typeName(Class<?> type) {
        if (Number.class.isAssignableFrom(type) || type == long.class || type == int.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        return "a " + type.getSimpleName();
    }

    private static String describe(Object value) {
        String text = String.valueOf(value);
        return "'" + (text.length() > 40 ? text.substring(0, 40) + "…" : text) + "'";
    }
}
