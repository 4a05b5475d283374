package io.chorus.command.web;

import io.chorus.api.message.MarkReadCommand;
import io.chorus.api.rejection.InvalidFieldException;
import io.chorus.command.group.Inputs;
import io.chorus.web.ratelimit.RateLimited;
import io.chorus.web.ratelimit.RateLimitedAction;
import java.security.Principal;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Moves the caller's read marker of a group forward. */
@RestController
class ReadMarkerController {

    private final Commands commands;

    ReadMarkerController(Commands commands) {
        this.commands = commands;
    }

    record ReadRequest(Long seq) {}

    @PostMapping("/api/groups/{groupId}/read")
    @RateLimited(RateLimitedAction.READ_MARKERS)
    void read(@PathVariable String groupId, @RequestBody ReadRequest request, Principal caller) {
        if (request.seq() == null) {
            throw new InvalidFieldException("seq", "is required");
        }
        commands.send(new MarkReadCommand(Inputs.groupId(groupId), caller.getName(), request.seq(), commands.now()));
    }
}
