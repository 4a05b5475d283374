package io.chorus.query.admin;

import io.chorus.query.projection.ProjectionSlots;
import io.chorus.query.projection.ReplayCoordinator;
import io.chorus.web.problem.Problems;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** The projections' state and the replay operation (scope {@code chorus:admin}). */
@RestController
class ProjectionAdminController {

    private final ReplayCoordinator replays;
    private final ProjectionSlots slots;

    ProjectionAdminController(ReplayCoordinator replays, ProjectionSlots slots) {
        this.replays = replays;
        this.slots = slots;
    }

    @GetMapping("/api/admin/projections")
    List<ReplayCoordinator.Status> projections() {
        return replays.status();
    }

    /** Rebuilds the projection from the first event beside the live one, which keeps serving until it is replaced. */
    @PostMapping("/api/admin/projections/{name}/replay")
    ResponseEntity<?> replay(@PathVariable String name) {
        if (slots.find(name).isEmpty()) {
            return Problems.respond(Problems.problem(HttpStatus.NOT_FOUND, "no projection named " + name));
        }
        if (!replays.replay(name)) {
            return Problems.respond(
                    Problems.problem(HttpStatus.CONFLICT, "a replay of " + name + " is already running"));
        }
        return ResponseEntity.accepted().body(Map.of("name", name, "status", "replaying"));
    }
}
