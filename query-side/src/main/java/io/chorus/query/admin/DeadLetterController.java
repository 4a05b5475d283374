package io.chorus.query.admin;

import io.chorus.query.projection.ProjectionSlots;
import io.chorus.query.projection.SlotProjection;
import io.chorus.web.problem.Problems;
import java.util.Map;
import java.util.Optional;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.deadletter.SequencedDeadLetterProcessor;
import org.axonframework.messaging.deadletter.SequencedDeadLetterQueue;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The dead letters of a projection (scope {@code chorus:admin}): how many groups wait behind a failed event, and
 * a retry of each in turn once the cause is fixed.
 */
@RestController
class DeadLetterController {

    /** A bound on one retry call, so that it answers even when letters keep failing. */
    private static final int MAX_SEQUENCES_PER_RETRY = 10_000;

    private final EventProcessingConfiguration processing;
    private final ProjectionSlots slots;

    DeadLetterController(EventProcessingConfiguration processing, ProjectionSlots slots) {
        this.processing = processing;
        this.slots = slots;
    }

    /** A projection's dead letters are those of the processor of its active slot. */
    private String processor(String name) {
        return slots.find(name)
                .map(state -> SlotProjection.processorName(name, state.active()))
                .orElse(name);
    }

    @GetMapping("/api/admin/projections/{name}/dead-letters")
    ResponseEntity<?> count(@PathVariable String name) {
        Optional<SequencedDeadLetterQueue<EventMessage<?>>> queue = processing.deadLetterQueue(processor(name));
        if (queue.isEmpty()) {
            return unknown(name);
        }
        return ResponseEntity.ok(Map.of("name", name, "sequences", queue.get().amountOfSequences()));
    }

    @PostMapping("/api/admin/projections/{name}/dead-letters/retry")
    ResponseEntity<?> retry(@PathVariable String name) {
        Optional<SequencedDeadLetterProcessor<EventMessage<?>>> processor =
                processing.sequencedDeadLetterProcessor(processor(name));
        Optional<SequencedDeadLetterQueue<EventMessage<?>>> queue = processing.deadLetterQueue(processor(name));
        if (processor.isEmpty() || queue.isEmpty()) {
            return unknown(name);
        }
        int retried = 0;
        while (retried < MAX_SEQUENCES_PER_RETRY && processor.get().processAny()) {
            retried++;
        }
        return ResponseEntity.ok(Map.of(
                "name", name, "retried", retried, "sequences", queue.get().amountOfSequences()));
    }

    private static ResponseEntity<?> unknown(String name) {
        return Problems.respond(
                Problems.problem(HttpStatus.NOT_FOUND, "no projection named " + name + " with a dead-letter queue"));
    }
}
