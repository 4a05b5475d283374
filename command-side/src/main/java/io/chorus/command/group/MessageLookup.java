package io.chorus.command.group;

import io.chorus.api.message.MessageSentEvent;
import java.util.Optional;

/**
 * Finds the message at a seq of a group. The aggregate does not hold messages in its state (a group's history
 * would make every load slower); the few commands that need an old message's author ask for it here.
 */
public interface MessageLookup {

    Optional<MessageSentEvent> find(String groupId, long seq);
}
