package io.chorus.web.problem;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/** RFC 9457 problem details as Chorus answers them: status, title, detail and, for bad fields, {@code errors}. */
public final class Problems {

    private Problems() {}

    public static ProblemDetail problem(HttpStatus status, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(status.getReasonPhrase());
        return problem;
    }

    /** A problem naming the fields that were wrong, each with what was wrong about it. */
    public static ProblemDetail invalidFields(HttpStatus status, String detail, List<FieldError> errors) {
        ProblemDetail problem = problem(status, detail);
        problem.setProperty(
                "errors",
                errors.stream()
                        .map(e -> Map.of("field", e.field(), "message", e.message()))
                        .toList());
        return problem;
    }

    /** A 400 answer naming one bad field. */
    public static ResponseEntity<ProblemDetail> badField(String field, String message) {
        return respond(
                invalidFields(HttpStatus.BAD_REQUEST, field + " " + message, List.of(new FieldError(field, message))));
    }

    public static ResponseEntity<ProblemDetail> respond(ProblemDetail problem) {
        return ResponseEntity.status(problem.getStatus())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem);
    }

    public record FieldError(String field, String message) {}
}
