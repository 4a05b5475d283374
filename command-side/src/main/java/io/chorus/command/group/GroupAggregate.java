package io.chorus.command.group;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.chorus.api.group.AddMemberCommand;
import io.chorus.api.group.ArchiveGroupCommand;
import io.chorus.api.group.ChangeRoleCommand;
import io.chorus.api.group.ChangeTopicCommand;
import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.GroupArchivedEvent;
import io.chorus.api.group.GroupCreatedEvent;
import io.chorus.api.group.GroupRenamedEvent;
import io.chorus.api.group.GroupUnarchivedEvent;
import io.chorus.api.group.JoinGroupCommand;
import io.chorus.api.group.LeaveGroupCommand;
import io.chorus.api.group.MemberJoinedEvent;
import io.chorus.api.group.MemberLeftEvent;
import io.chorus.api.group.MemberRemovedEvent;
import io.chorus.api.group.MemberUnbannedEvent;
import io.chorus.api.group.RemoveMemberCommand;
import io.chorus.api.group.RenameGroupCommand;
import io.chorus.api.group.Role;
import io.chorus.api.group.RoleChangedEvent;
import io.chorus.api.group.TopicChangedEvent;
import io.chorus.api.group.UnbanMemberCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.DeleteMessageCommand;
import io.chorus.api.message.EditMessageCommand;
import io.chorus.api.message.MarkReadCommand;
import io.chorus.api.message.MessageDeletedEvent;
import io.chorus.api.message.MessageEditedEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.ReadMarkerMovedEvent;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.api.message.SendReceiptView;
import io.chorus.api.rejection.GroupConflictException;
import io.chorus.api.rejection.InvalidFieldException;
import io.chorus.api.rejection.NoSuchMessageException;
import io.chorus.api.rejection.NotAllowedException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventhandling.gateway.EventGateway;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.spring.stereotype.Aggregate;

/**
 * A group: its members, roles and bans, and the numbering of its events. Every event it applies carries
 * {@code seq = lastSeq + 1}, which is also the aggregate sequence number plus one, so the event store's unique
 * (aggregate id, sequence number) makes the numbering gap-free and settles concurrent writers.
 *
 * <p>State is only what decisions need; messages are not kept, except the recent sends for deduplication and the
 * seqs of deleted messages. The fields are serialized into snapshots with Jackson.
 */
@Aggregate(
        snapshotTriggerDefinition = "groupSnapshotTrigger",
        cache = "groupCache",
        commandTargetResolver = "groupTargetResolver")
@JsonAutoDetect(
        fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonIgnoreProperties(ignoreUnknown = true)
public class GroupAggregate {

    @AggregateIdentifier
    private String groupId;

    private Visibility visibility;
    private String name;
    private String topic = "";
    private boolean archived;
    private long lastSeq;
    private Map<String, Role> members = new HashMap<>();
    private Set<String> banned = new HashSet<>();
    /** Deleted messages among the group's last {@link #DELETE_WINDOW} seqs (older ones are let go). */
    private NavigableSet<Long> deletedMessages = new TreeSet<>();

    private RecentSends recentSends = new RecentSends();

    /**
     * How far back (in seqs) the group remembers which messages were deleted, so that its state does not grow with
     * its history: a message older than that can no longer be edited, and deleting it again stores a second,
     * harmless deletion (every reader treats a deletion as idempotent).
     */
    static final long DELETE_WINDOW = 20_000;

    @CommandHandler
    GroupAggregate(CreateGroupCommand command) {
        String groupId = Inputs.groupId(command.groupId());
        String name = Inputs.groupName(command.name());
        if (command.visibility() == null) {
            throw new InvalidFieldException("visibility", "must be 'open' or 'invite'");
        }
        String ownerId = Inputs.userId("ownerId", command.ownerId());
        apply(new GroupCreatedEvent(groupId, 1, name, command.visibility(), ownerId, command.createdAt()));
    }

    // ---- membership

    @CommandHandler
    void handle(JoinGroupCommand command) {
        String userId = Inputs.userId("userId", command.userId());
        if (members.containsKey(userId)) {
            return; // joining twice is a retry, not an error
        }
        if (banned.contains(userId)) {
            throw new NotAllowedException("user " + userId + " is banned from this group");
        }
        requireNotArchived("joined");
        if (visibility != Visibility.OPEN) {
            throw new NotAllowedException("group " + groupId + " is invite-only: an owner or admin must add you");
        }
        apply(new MemberJoinedEvent(groupId, nextSeq(), userId, Role.MEMBER, null, command.joinedAt()));
    }

    @CommandHandler
    void handle(LeaveGroupCommand command) {
        String userId = command.userId();
        Role role = members.get(userId);
        if (role == null) {
            return; // leaving twice is a retry, not an error
        }
        if (role == Role.OWNER && owners() == 1) {
            throw new GroupConflictException("the last owner cannot leave; make another member owner first");
        }
        apply(new MemberLeftEvent(groupId, nextSeq(), userId, command.leftAt()));
    }

    @CommandHandler
    void handle(AddMemberCommand command) {
        Role actorRole = requireManager(command.actorId());
        String userId = Inputs.userId("userId", command.userId());
        Role role = command.role() == null ? Role.MEMBER : command.role();
        if (role == Role.OWNER && actorRole != Role.OWNER) {
            throw new NotAllowedException("only owners add owners");
        }
        if (members.containsKey(userId)) {
            throw new GroupConflictException("user " + userId + " is already a member");
        }
        requireNotArchived("joined by anyone");
        if (banned.contains(userId)) {
            throw new GroupConflictException("user " + userId + " is banned from this group; lift the ban first");
        }
        apply(new MemberJoinedEvent(groupId, nextSeq(), userId, role, command.actorId(), command.addedAt()));
    }

    @CommandHandler
    void handle(RemoveMemberCommand command) {
        Role actorRole = requireManager(command.actorId());
        String userId = Inputs.userId("userId", command.userId());
        if (userId.equals(command.actorId())) {
            throw new InvalidFieldException("userId", "is yourself: leave the group instead");
        }
        Role target = members.get(userId);
        if (target == null) {
            if (command.ban() && !banned.contains(userId)) {
                apply(new MemberRemovedEvent(
                        groupId, nextSeq(), userId, command.actorId(), true, false, command.removedAt()));
            }
            return; // removing a non-member is a retry or a no-op
        }
        requireOutranks(actorRole, target, "remove or ban");
        apply(new MemberRemovedEvent(
                groupId, nextSeq(), userId, command.actorId(), command.ban(), true, command.removedAt()));
    }

    @CommandHandler
    void handle(UnbanMemberCommand command) {
        requireManager(command.actorId());
        String userId = Inputs.userId("userId", command.userId());
        if (!banned.contains(userId)) {
            return;
        }
        apply(new MemberUnbannedEvent(groupId, nextSeq(), userId, command.actorId(), command.unbannedAt()));
    }

    @CommandHandler
    void handle(ChangeRoleCommand command) {
        Role actorRole = requireManager(command.actorId());
        String userId = Inputs.userId("userId", command.userId());
        if (command.role() == null) {
            throw new InvalidFieldException("role", "must be 'owner', 'admin' or 'member'");
        }
        Role current = members.get(userId);
        if (current == null) {
            throw new GroupConflictException("user " + userId + " is not a member");
        }
        if (current == command.role()) {
            return;
        }
        if (!userId.equals(command.actorId())) {
            // stepping down is anyone's own choice; changing someone else's role needs a higher rank than theirs
            requireOutranks(actorRole, current, "change the role of");
        }
        if ((current == Role.OWNER || command.role() == Role.OWNER) && actorRole != Role.OWNER) {
            throw new NotAllowedException("only owners grant or take the owner role");
        }
        if (current == Role.OWNER && owners() == 1) {
            throw new GroupConflictException("a group keeps at least one owner; make another member owner first");
        }
        apply(new RoleChangedEvent(groupId, nextSeq(), userId, command.role(), command.actorId(), command.changedAt()));
    }

    // ---- lifecycle

    @CommandHandler
    void handle(RenameGroupCommand command) {
        requireManager(command.actorId());
        String newName = Inputs.groupName(command.name());
        requireNotArchived("renamed");
        if (newName.equals(name)) {
            return; // the name it has: a retry, not a change
        }
        apply(new GroupRenamedEvent(groupId, nextSeq(), newName, command.actorId(), command.renamedAt()));
    }

    @CommandHandler
    void handle(ChangeTopicCommand command) {
        requireManager(command.actorId());
        String newTopic = Inputs.topic(command.topic());
        requireNotArchived("given a new topic");
        if (newTopic.equals(topic)) {
            return;
        }
        apply(new TopicChangedEvent(groupId, nextSeq(), newTopic, command.actorId(), command.changedAt()));
    }

    @CommandHandler
    void handle(ArchiveGroupCommand command) {
        Role role = requireMember(command.actorId(), "only owners archive a group");
        if (role != Role.OWNER) {
            throw new NotAllowedException("only owners archive or unarchive a group");
        }
        if (command.archived() == archived) {
            return; // already so: a retry
        }
        apply(
                command.archived()
                        ? new GroupArchivedEvent(groupId, nextSeq(), command.actorId(), command.at())
                        : new GroupUnarchivedEvent(groupId, nextSeq(), command.actorId(), command.at()));
    }

    /** An archived group is read-only: reads, leaving, removals and resuming still work. */
    private void requireNotArchived(String what) {
        if (archived) {
            throw new GroupConflictException(
                    "group " + groupId + " is archived: it cannot be " + what + " until an owner unarchives it");
        }
    }

    // ---- messages

    @CommandHandler
    SendReceiptView handle(SendMessageCommand command, TextRules rules, MessageLookup lookup) {
        String senderId = command.senderId();
        String clientMessageId = Inputs.clientMessageId(command.clientMessageId());
        String text = rules.normalize(command.text());
        Optional<RecentSends.Entry> earlier = recentSends.find(senderId, clientMessageId);
        if (earlier.isPresent()) {
            RecentSends.Entry sent = earlier.get();
            if (sent.fingerprint() != RecentSends.fingerprint(text, command.replyToSeq())) {
                throw new GroupConflictException(
                        "clientMessageId " + clientMessageId + " was already used for a different message");
            }
            return new SendReceiptView(sent.seq(), messageId(senderId, clientMessageId), sent.sentAt(), true);
        }
        requireMember(senderId, "only members send messages");
        requireNotArchived("sent to");
        Long replyToSeq = command.replyToSeq();
        if (replyToSeq != null
                && (replyToSeq < 1
                        || replyToSeq > lastSeq
                        || lookup.find(groupId, replyToSeq).isEmpty())) {
            throw new InvalidFieldException("replyToSeq", "must be the seq of a message of this group");
        }
        long seq = nextSeq();
        String messageId = messageId(senderId, clientMessageId);
        apply(new MessageSentEvent(
                groupId, seq, messageId, clientMessageId, senderId, text, replyToSeq, command.sentAt()));
        return new SendReceiptView(seq, messageId, command.sentAt(), false);
    }

    @CommandHandler
    void handle(EditMessageCommand command, TextRules rules, MessageLookup lookup) {
        requireMember(command.editorId(), "only members edit messages");
        MessageSentEvent message = requireMessage(command.messageSeq(), lookup);
        if (!message.senderId().equals(command.editorId())) {
            throw new NotAllowedException("only the author edits a message");
        }
        if (command.messageSeq() < lastSeq - DELETE_WINDOW) {
            throw new GroupConflictException("message " + command.messageSeq() + " is more than " + DELETE_WINDOW
                    + " events old and can no longer be edited");
        }
        if (deletedMessages.contains(command.messageSeq())) {
            throw new GroupConflictException("message " + command.messageSeq() + " was deleted");
        }
        requireNotArchived("edited in");
        String text = rules.normalize(command.text());
        apply(new MessageEditedEvent(
                groupId, nextSeq(), command.messageSeq(), command.editorId(), text, command.editedAt()));
    }

    @CommandHandler
    void handle(DeleteMessageCommand command, MessageLookup lookup) {
        Role role = requireMember(command.actorId(), "only members delete messages");
        MessageSentEvent message = requireMessage(command.messageSeq(), lookup);
        if (!message.senderId().equals(command.actorId()) && !role.manages()) {
            throw new NotAllowedException("only the author, an admin or an owner deletes a message");
        }
        if (deletedMessages.contains(command.messageSeq())) {
            return;
        }
        apply(new MessageDeletedEvent(
                groupId, nextSeq(), command.messageSeq(), command.actorId(), command.deletedAt()));
    }

    /**
     * A read marker is not one of the group's numbered events: it is published beside the group's stream, so it
     * takes no seq and costs the group no snapshot space. Consumers keep the highest marker per member, which is
     * what makes it move forward only.
     */
    @CommandHandler
    void handle(MarkReadCommand command, EventGateway events) {
        requireMember(command.userId(), "only members mark a group read");
        if (command.seq() < 1 || command.seq() > lastSeq) {
            throw new InvalidFieldException("seq", "must be between 1 and the group's last seq, " + lastSeq);
        }
        events.publish(new ReadMarkerMovedEvent(groupId, command.userId(), command.seq(), command.readAt()));
    }

    // ---- state changes

    @EventSourcingHandler
    void on(GroupCreatedEvent event) {
        groupId = event.groupId();
        visibility = event.visibility();
        name = event.name();
        members.put(event.ownerId(), Role.OWNER);
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(MemberJoinedEvent event) {
        members.put(event.userId(), event.role());
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(MemberLeftEvent event) {
        members.remove(event.userId());
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(MemberRemovedEvent event) {
        members.remove(event.userId());
        if (event.banned()) {
            banned.add(event.userId());
        }
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(MemberUnbannedEvent event) {
        banned.remove(event.userId());
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(RoleChangedEvent event) {
        members.put(event.userId(), event.role());
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(GroupRenamedEvent event) {
        name = event.name();
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(TopicChangedEvent event) {
        topic = event.topic();
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(GroupArchivedEvent event) {
        archived = true;
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(GroupUnarchivedEvent event) {
        archived = false;
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(MessageSentEvent event) {
        recentSends.remember(
                event.senderId(),
                event.clientMessageId(),
                event.seq(),
                event.sentAt(),
                event.text(),
                event.replyToSeq());
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(MessageEditedEvent event) {
        lastSeq = event.seq();
    }

    @EventSourcingHandler
    void on(MessageDeletedEvent event) {
        deletedMessages.add(event.messageSeq());
        deletedMessages.headSet(event.seq() - DELETE_WINDOW).clear();
        lastSeq = event.seq();
    }

    // ---- rules

    /**
     * What the group takes on the heap, from above and in constant time (the cache weighs every group it holds
     * back after each command): its recent sends as they count themselves, and a fixed share per member, ban and
     * remembered deletion.
     */
    public long estimatedBytes() {
        return 1024 + recentSends.bytes() + 400L * (members.size() + banned.size()) + 64L * deletedMessages.size();
    }

    /** Whether the group still knows that the message was deleted (for tests of the window). */
    boolean remembersDeletionOf(long messageSeq) {
        return deletedMessages.contains(messageSeq);
    }

    private long nextSeq() {
        return lastSeq + 1;
    }

    private long owners() {
        return members.values().stream().filter(r -> r == Role.OWNER).count();
    }

    private Role requireMember(String userId, String message) {
        Role role = members.get(userId);
        if (role == null) {
            throw new NotAllowedException(message);
        }
        return role;
    }

    private Role requireManager(String actorId) {
        Role role = requireMember(actorId, "only owners and admins manage members");
        if (!role.manages()) {
            throw new NotAllowedException("only owners and admins manage members");
        }
        return role;
    }

    /** Owners act on anyone; admins only on plain members. */
    private static void requireOutranks(Role actor, Role target, String action) {
        if (actor != Role.OWNER && target != Role.MEMBER) {
            throw new NotAllowedException(
                    "only owners " + action + " " + target.name().toLowerCase(Locale.ROOT) + "s");
        }
    }

    private MessageSentEvent requireMessage(long seq, MessageLookup lookup) {
        if (seq < 1 || seq > lastSeq) {
            throw new NoSuchMessageException(groupId, seq);
        }
        return lookup.find(groupId, seq).orElseThrow(() -> new NoSuchMessageException(groupId, seq));
    }

    /** Derived, not random, so that a retried send answers with the same id without storing it. */
    private String messageId(String senderId, String clientMessageId) {
        String name = groupId + '\n' + senderId + '\n' + clientMessageId;
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }

    GroupAggregate() {
        // for Axon and for snapshots
    }
}
