package io.chorus.command.web;

import io.chorus.api.group.AddMemberCommand;
import io.chorus.api.group.ArchiveGroupCommand;
import io.chorus.api.group.ChangeRoleCommand;
import io.chorus.api.group.ChangeTopicCommand;
import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.JoinGroupCommand;
import io.chorus.api.group.LeaveGroupCommand;
import io.chorus.api.group.RemoveMemberCommand;
import io.chorus.api.group.RenameGroupCommand;
import io.chorus.api.group.Role;
import io.chorus.api.group.UnbanMemberCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.rejection.InvalidFieldException;
import io.chorus.command.group.Inputs;
import io.chorus.web.ratelimit.RateLimited;
import io.chorus.web.ratelimit.RateLimitedAction;
import java.net.URI;
import java.security.Principal;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Writes to groups and their membership. The caller is always the token's subject. */
@RestController
@RequestMapping("/api/groups")
class GroupCommandController {

    private final Commands commands;

    GroupCommandController(Commands commands) {
        this.commands = commands;
    }

    record CreateGroupRequest(String groupId, String name, String visibility) {}

    record AddMemberRequest(String userId, String role) {}

    record ChangeRoleRequest(String role) {}

    record ChangeGroupRequest(String name, String topic) {}

    @PostMapping
    @RateLimited(RateLimitedAction.GROUP_CREATES)
    ResponseEntity<Map<String, String>> create(@RequestBody CreateGroupRequest request, Principal caller) {
        String groupId = request.groupId() == null ? UUID.randomUUID().toString() : Inputs.groupId(request.groupId());
        commands.send(new CreateGroupCommand(
                groupId, request.name(), visibility(request.visibility()), caller.getName(), commands.now()));
        return ResponseEntity.created(URI.create("/api/groups/" + groupId)).body(Map.of("groupId", groupId));
    }

    /** Name and topic, each an event of its own; an unchanged one stores nothing. */
    @PatchMapping("/{groupId}")
    @RateLimited(RateLimitedAction.MEMBER_CHANGES)
    void change(@PathVariable String groupId, @RequestBody ChangeGroupRequest request, Principal caller) {
        if (request.name() == null && request.topic() == null) {
            throw new InvalidFieldException("name", "give a name or a topic (or both)");
        }
        String group = Inputs.groupId(groupId);
        // both checked before either is stored
        if (request.name() != null) {
            Inputs.groupName(request.name());
        }
        if (request.topic() != null) {
            Inputs.topic(request.topic());
        }
        if (request.name() != null) {
            commands.send(new RenameGroupCommand(group, caller.getName(), request.name(), commands.now()));
        }
        if (request.topic() != null) {
            commands.send(new ChangeTopicCommand(group, caller.getName(), request.topic(), commands.now()));
        }
    }

    @PostMapping("/{groupId}/archive")
    @RateLimited(RateLimitedAction.MEMBER_CHANGES)
    void archive(@PathVariable String groupId, Principal caller) {
        commands.send(new ArchiveGroupCommand(Inputs.groupId(groupId), caller.getName(), true, commands.now()));
    }

    @DeleteMapping("/{groupId}/archive")
    @RateLimited(RateLimitedAction.MEMBER_CHANGES)
    void unarchive(@PathVariable String groupId, Principal caller) {
        commands.send(new ArchiveGroupCommand(Inputs.groupId(groupId), caller.getName(), false, commands.now()));
    }

    @PostMapping("/{groupId}/join")
    @RateLimited(RateLimitedAction.MEMBER_CHANGES)
    void join(@PathVariable String groupId, Principal caller) {
        commands.send(new JoinGroupCommand(Inputs.groupId(groupId), caller.getName(), commands.now()));
    }

    @PostMapping("/{groupId}/leave")
    @RateLimited(RateLimitedAction.MEMBER_CHANGES)
    void leave(@PathVariable String groupId, Principal caller) {
        commands.send(new LeaveGroupCommand(Inputs.groupId(groupId), caller.getName(), commands.now()));
    }

    @PostMapping("/{groupId}/members")
    @RateLimited(RateLimitedAction.MEMBER_CHANGES)
    void add(@PathVariable String groupId, @RequestBody AddMemberRequest request, Principal caller) {
        Role role = request.role() == null ? Role.MEMBER : role(request.role());
        commands.send(new AddMemberCommand(
                Inputs.groupId(groupId), caller.getName(), request.userId(), role, commands.now()));
    }

    @DeleteMapping("/{groupId}/members/{userId}")
    @RateLimited(RateLimitedAction.MEMBER_CHANGES)
    void remove(
            @PathVariable String groupId,
            @PathVariable String userId,
            @RequestParam(defaultValue = "false") boolean ban,
            Principal caller) {
        commands.send(new RemoveMemberCommand(Inputs.groupId(groupId), caller.getName(), userId, ban, commands.now()));
    }

    @DeleteMapping("/{groupId}/bans/{userId}")
    @RateLimited(RateLimitedAction.MEMBER_CHANGES)
    void unban(@PathVariable String groupId, @PathVariable String userId, Principal caller) {
        commands.send(new UnbanMemberCommand(Inputs.groupId(groupId), caller.getName(), userId, commands.now()));
    }

    @PutMapping("/{groupId}/members/{userId}/role")
    @RateLimited(RateLimitedAction.MEMBER_CHANGES)
    void changeRole(
            @PathVariable String groupId,
            @PathVariable String userId,
            @RequestBody ChangeRoleRequest request,
            Principal caller) {
        commands.send(new ChangeRoleCommand(
                Inputs.groupId(groupId), caller.getName(), userId, role(request.role()), commands.now()));
    }

    private static Visibility visibility(String value) {
        if ("open".equals(value)) {
            return Visibility.OPEN;
        }
        if ("invite".equals(value)) {
            return Visibility.INVITE;
        }
        throw new InvalidFieldException("visibility", "must be 'open' or 'invite'");
    }

    private static Role role(String value) {
        if (value != null) {
            for (Role role : Role.values()) {
                if (role.name().toLowerCase(Locale.ROOT).equals(value)) {
                    return role;
                }
            }
        }
        throw new InvalidFieldException("role", "must be 'owner', 'admin' or 'member'");
    }
}
