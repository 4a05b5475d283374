package io.chorus.command.web;

import io.chorus.api.message.DeleteMessageCommand;
import io.chorus.api.message.EditMessageCommand;
import io.chorus.api.message.SendReceiptView;
import io.chorus.command.group.Inputs;
import io.chorus.web.command.MessageSender;
import io.chorus.web.ratelimit.RateLimitHeaders;
import io.chorus.web.ratelimit.RateLimited;
import io.chorus.web.ratelimit.RateLimitedAction;
import jakarta.servlet.http.HttpServletResponse;
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
    private final MessageSender sender;

    MessageCommandController(Commands commands, MessageSender sender) {
        this.commands = commands;
        this.sender = sender;
    }

    record SendRequest(String clientMessageId, String text, Long replyToSeq) {}

    record EditRequest(String text) {}

    record SentResponse(long seq, String messageId, Instant sentAt) {}

    /** 201 for a new message; 200 with the original answer for a retry of an earlier send. */
    @PostMapping
    ResponseEntity<SentResponse> send(
            @PathVariable String groupId,
            @RequestBody SendRequest request,
            Principal caller,
            HttpServletResponse response) {
        SendReceiptView receipt = commands.await(sender.send(
                new MessageSender.Send(groupId, request.clientMessageId(), request.text(), request.replyToSeq()),
                caller.getName(),
                standing -> RateLimitHeaders.write(response, standing)));
        SentResponse body = new SentResponse(receipt.seq(), receipt.messageId(), receipt.sentAt());
        if (receipt.duplicate()) {
            return ResponseEntity.status(HttpStatus.OK).body(body);
        }
        return ResponseEntity.created(URI.create("/api/groups/" + groupId + "/messages/" + receipt.seq()))
                .body(body);
    }

    @PatchMapping("/{seq}")
    @RateLimited(RateLimitedAction.EDITS)
    void edit(
            @PathVariable String groupId, @PathVariable long seq, @RequestBody EditRequest request, Principal caller) {
        commands.send(
                new EditMessageCommand(Inputs.groupId(groupId), caller.getName(), seq, request.text(), commands.now()));
    }

    @DeleteMapping("/{seq}")
    @RateLimited(RateLimitedAction.DELETES)
    void delete(@PathVariable String groupId, @PathVariable long seq, Principal caller) {
        commands.send(new DeleteMessageCommand(Inputs.groupId(groupId), caller.getName(), seq, commands.now()));
    }
}
