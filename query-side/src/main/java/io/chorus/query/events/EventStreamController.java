package io.chorus.query.events;

import io.chorus.api.schema.EventTypes;
import io.chorus.web.problem.Problems;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.axonframework.eventhandling.TrackingToken;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * The integrator event stream (API.md, Event stream; scope {@code chorus:integrator}): polling with {@code after}
 * and {@code limit}, Server-Sent Events resumed by {@code Last-Event-ID}, and the JSON Schemas of the payloads
 * (public, like any published contract).
 */
@RestController
class EventStreamController {

    private static final int DEFAULT_LIMIT = 100;
    private static final long MAX_WAIT_SECONDS = 30;

    private final EventStreamReader reader;
    private final EventStreams streams;
    private final LongPolls longPolls;
    private final EventStreamProperties properties;

    /** Events live in Axon Server, whose positions are global sequence numbers. */
    private final boolean axonServer;

    EventStreamController(
            EventStreamReader reader,
            EventStreams streams,
            LongPolls longPolls,
            EventStreamProperties properties,
            @Value("${axon.axonserver.enabled:false}") boolean axonServer) {
        this.reader = reader;
        this.streams = streams;
        this.longPolls = longPolls;
        this.properties = properties;
        this.axonServer = axonServer;
    }

    record Poll(List<IntegratorEvent> events, String next) {}

    /**
     * Events after a position, oldest first. {@code wait} (seconds, up to 30; an addition to API.md) makes a poll
     * with nothing new wait for the next event instead of answering at once: long polling.
     */
    @GetMapping(path = "/api/events", produces = MediaType.APPLICATION_JSON_VALUE)
    DeferredResult<ResponseEntity<?>> poll(
            @RequestParam(required = false) String after,
            @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String groupId,
            @RequestParam(required = false) String type,
            @RequestParam(required = false) Integer wait)
            throws InterruptedException {
        TrackingToken from;
        try {
            from = after == null ? null : StreamPositions.decode(after, axonServer);
        } catch (IllegalArgumentException e) {
            return answered(Problems.badField("after", e.getMessage()));
        }
        // not a number: the shared type-mismatch answer (ProblemHandler) names the parameter
        int size = limit == null ? DEFAULT_LIMIT : limit;
        if (size < 1 || size > properties.maxLimit()) {
            return answered(Problems.badField("limit", "must be a whole number from 1 to " + properties.maxLimit()));
        }
        int waitSeconds = wait == null ? 0 : wait;
        if (waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
            return answered(
                    Problems.badField("wait", "must be a whole number of seconds from 0 to " + MAX_WAIT_SECONDS));
        }
        EventFilter.Parsed filter = EventFilter.parse(groupId, type);
        if (filter.refusal() != null) {
            return answered(filter.refusal());
        }
        if (waitSeconds > 0) {
            // waits without a request thread
            DeferredResult<ResponseEntity<?>> waiting =
                    longPolls.await(from, after, size, filter.filter(), waitSeconds * 1000L);
            if (waiting == null) {
                return answered(ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                        .header(HttpHeaders.RETRY_AFTER, "1")
                        .body(Problems.problem(
                                HttpStatus.SERVICE_UNAVAILABLE,
                                "this node holds " + properties.maxWaitingPolls()
                                        + " waiting polls already; poll without wait, or try another")));
            }
            return waiting;
        }
        EventStreamReader.Page page = reader.poll(from, size, filter.filter(), LongPolls.GRACE_MILLIS);
        return answered(ResponseEntity.ok(new Poll(page.events(), page.next() == null ? after : page.next())));
    }

    /** An answer known at once (long polls and short ones share one return type: Spring picks handlers by it). */
    private static DeferredResult<ResponseEntity<?>> answered(ResponseEntity<?> answer) {
        DeferredResult<ResponseEntity<?>> result = new DeferredResult<>();
        result.setResult(answer);
        return result;
    }

    /**
     * Every event after the position in {@code Last-Event-ID} (or {@code after}; neither: from the first event), then
     * each new one as it is committed.
     */
    @GetMapping(path = "/api/events/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<?> stream(
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
            @RequestParam(required = false) String after,
            @RequestParam(required = false) String groupId,
            @RequestParam(required = false) String type) {
        String resumeFrom = lastEventId != null && !lastEventId.isBlank() ? lastEventId : after;
        TrackingToken from;
        try {
            from = resumeFrom == null ? null : StreamPositions.decode(resumeFrom, axonServer);
        } catch (IllegalArgumentException e) {
            return Problems.badField(lastEventId != null ? "Last-Event-ID" : "after", e.getMessage());
        }
        EventFilter.Parsed filter = EventFilter.parse(groupId, type);
        if (filter.refusal() != null) {
            return filter.refusal();
        }
        var emitter = streams.start(from, filter.filter());
        if (emitter == null) {
            return Problems.respond(Problems.problem(
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "this node serves " + properties.maxStreams() + " event streams already; poll, or try another"));
        }
        return ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM).body(emitter);
    }

    record SchemaLink(String type, String revision, String schema) {}

    /** Every published event type with the address of its payload schema, and the envelope's. */
    @GetMapping(path = "/api/events/schemas", produces = MediaType.APPLICATION_JSON_VALUE)
    List<SchemaLink> schemas() {
        return EventTypes.all().stream()
                .map(type -> new SchemaLink(type.name(), type.revision(), "/api/events/schemas/" + type.schemaFile()))
                .toList();
    }

    @GetMapping(path = "/api/events/schemas/{file:.+}")
    ResponseEntity<?> schema(@PathVariable String file) throws IOException {
        boolean published = file.equals(EventTypes.ENVELOPE_SCHEMA)
                || EventTypes.all().stream().anyMatch(type -> type.schemaFile().equals(file));
        if (!published) {
            return Problems.respond(Problems.problem(HttpStatus.NOT_FOUND, "no schema named " + file));
        }
        try (InputStream in = EventTypes.class.getClassLoader().getResourceAsStream(EventTypes.SCHEMA_FOLDER + file)) {
            if (in == null) {
                throw new IllegalStateException("schema " + file + " is listed but not packaged");
            }
            return ResponseEntity.ok()
                    .contentType(MediaType.parseMediaType("application/schema+json"))
                    .body(in.readAllBytes());
        }
    }
}
