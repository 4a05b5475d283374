package io.chorus.command.message;

import io.chorus.api.message.DeleteMessageCommand;
import io.chorus.api.message.EditMessageCommand;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.api.message.SendReceiptView;
import io.chorus.command.group.Inputs;
import io.chorus.command.web.Commands;
import io.chorus.web.ratelimit.RateLimitedException;
import io.chorus.web.ratelimit.SendRateLimiter;
import java.net.URI;
import java.security.Principal;
import java.time.Instant;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Sending, editing and deleting messages. The sender is always the token's subject. */
@RestController
@RequestMapping("/api/groups/{groupId}/messages")
class MessageCommandController {

    private final Commands commands;
    private final SendRateLimiter rateLimiter;

    MessageCommandController(Commands commands, SendRateLimiter rateLimiter) {
        this.commands = commands;
        this.rateLimiter = rateLimiter;
    }

    record SendRequest(String clientMessageId, String text, Long replyToSeq) {}

    record EditRequest(String text) {}

    record SentResponse(long seq, String messageId, Instant sentAt) {}

    /** 201 for a new message; 200 with the original answer for a retry of an earlier send. */
    @PostMapping
    ResponseEntity<SentResponse> send(
            @PathVariable String groupId, @RequestBody SendRequest request, Principal caller) {
        rateLimiter.acquire(caller.getName()).ifPresent(wait -> {
            throw new RateLimitedException(wait);
        });
        SendReceiptView receipt = commands.send(new SendMessageCommand(
                Inputs.groupId(groupId),
                caller.getName(),
                request.clientMessageId(),
                request.text(),
                request.replyToSeq(),
                commands.now()));
        SentResponse body = new SentResponse(receipt.seq(), receipt.messageId(), receipt.sentAt());
        if (receipt.duplicate()) {
            return ResponseEntity.status(HttpStatus.OK).body(body);
        }
        return ResponseEntity.created(URI.create("/api/groups/" + groupId + "/messages/" + receipt.seq()))
                .body(body);
    }

    @PatchMapping("/{seq}")
    void edit(
            @PathVariable String groupId, @PathVariable long seq, @RequestBody EditRequest request, Principal caller) {
        commands.send(
                new EditMessageCommand(Inputs.groupId(groupId), caller.getName(), seq, request.text(), commands.now()));
    }

    @DeleteMapping("/{seq}")
    void delete(@PathVariable String groupId, @PathVariable long seq, Principal caller) {
        commands.send(new DeleteMessageCommand(Inputs.groupId(groupId), caller.getName(), seq, commands.now()));
    }
}
