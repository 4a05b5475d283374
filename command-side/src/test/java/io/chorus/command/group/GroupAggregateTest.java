package io.chorus.command.group;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.chorus.api.rejection.TextTooLongException;
import io.chorus.command.infrastructure.EventStoreMessageLookup;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.axonframework.eventhandling.gateway.DefaultEventGateway;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class GroupAggregateTest {

    private static final String G = "g1";
    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
    private static final Instant T1 = Instant.parse("2026-01-01T10:05:00Z");

    private AggregateTestFixture<GroupAggregate> fixture;

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(GroupAggregate.class);
        fixture.registerInjectableResource(new TextRules(20));
        fixture.registerInjectableResource(new EventStoreMessageLookup(fixture.getEventStore()));
        fixture.registerInjectableResource(
                DefaultEventGateway.builder().eventBus(fixture.getEventBus()).build());
    }

    private static GroupCreatedEvent created(Visibility visibility) {
        return new GroupCreatedEvent(G, 1, "Design", visibility, "alice", T0);
    }

    private static MemberJoinedEvent joined(long seq, String userId, Role role) {
        return new MemberJoinedEvent(G, seq, userId, role, "alice", T0);
    }

    private static MessageSentEvent sent(long seq, String sender, String clientId, String text) {
        return new MessageSentEvent(G, seq, messageId(sender, clientId), clientId, sender, text, null, T0);
    }

    private static String messageId(String sender, String clientId) {
        return UUID.nameUUIDFromBytes((G + '\n' + sender + '\n' + clientId).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    /** alice owns an open group; bob is a member (seq 2), carol an admin (seq 3). */
    private Object[] groupWithBobAndCarol() {
        return new Object[] {created(Visibility.OPEN), joined(2, "bob", Role.MEMBER), joined(3, "carol", Role.ADMIN)};
    }

    @Nested
    class Create {

        @Test
        void creatorBecomesOwnerAndTheFirstEventHasSeqOne() {
            fixture.givenNoPriorActivity()
                    .when(new CreateGroupCommand(G, "  Design ", Visibility.OPEN, "alice", T0))
                    .expectSuccessfulHandlerExecution()
                    .expectEvents(created(Visibility.OPEN));
        }

        @Test
        void blankNameIsRejected() {
            fixture.givenNoPriorActivity()
                    .when(new CreateGroupCommand(G, "  ", Visibility.OPEN, "alice", T0))
                    .expectException(InvalidFieldException.class)
                    .expectExceptionMessage("name: must not be blank")
                    .expectNoEvents();
        }

        @Test
        void groupIdWithADotIsRejected() {
            fixture.givenNoPriorActivity()
                    .when(new CreateGroupCommand("a.b", "x", Visibility.OPEN, "alice", T0))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
        }

        @Test
        void missingVisibilityIsRejected() {
            fixture.givenNoPriorActivity()
                    .when(new CreateGroupCommand(G, "x", null, "alice", T0))
                    .expectException(InvalidFieldException.class)
                    .expectExceptionMessage("visibility: must be 'open' or 'invite'");
        }
    }

    @Nested
    class Join {

        @Test
        void anyoneJoinsAnOpenGroupAsMember() {
            fixture.given(created(Visibility.OPEN))
                    .when(new JoinGroupCommand(G, "bob", T1))
                    .expectEvents(new MemberJoinedEvent(G, 2, "bob", Role.MEMBER, null, T1));
        }

        @Test
        void inviteOnlyGroupCannotBeJoined() {
            fixture.given(created(Visibility.INVITE))
                    .when(new JoinGroupCommand(G, "bob", T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void bannedUserCannotJoin() {
            fixture.given(created(Visibility.OPEN), new MemberRemovedEvent(G, 2, "bob", "alice", true, false, T0))
                    .when(new JoinGroupCommand(G, "bob", T1))
                    .expectException(NotAllowedException.class)
                    .expectExceptionMessage("user bob is banned from this group")
                    .expectNoEvents();
        }

        @Test
        void joiningTwiceChangesNothing() {
            fixture.given(groupWithBobAndCarol())
                    .when(new JoinGroupCommand(G, "bob", T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
        }
    }

    @Nested
    class Leave {

        @Test
        void memberLeaves() {
            fixture.given(groupWithBobAndCarol())
                    .when(new LeaveGroupCommand(G, "bob", T1))
                    .expectEvents(new MemberLeftEvent(G, 4, "bob", T1));
        }

        @Test
        void lastOwnerCannotLeave() {
            fixture.given(groupWithBobAndCarol())
                    .when(new LeaveGroupCommand(G, "alice", T1))
                    .expectException(GroupConflictException.class)
                    .expectNoEvents();
        }

        @Test
        void oneOfTwoOwnersLeaves() {
            fixture.given(created(Visibility.OPEN), joined(2, "dave", Role.OWNER))
                    .when(new LeaveGroupCommand(G, "alice", T1))
                    .expectEvents(new MemberLeftEvent(G, 3, "alice", T1));
        }

        @Test
        void nonMemberLeavingChangesNothing() {
            fixture.given(created(Visibility.OPEN))
                    .when(new LeaveGroupCommand(G, "zed", T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
        }
    }

    @Nested
    class AddMember {

        @Test
        void ownerAddsToAnInviteOnlyGroup() {
            fixture.given(created(Visibility.INVITE))
                    .when(new AddMemberCommand(G, "alice", "bob", Role.MEMBER, T1))
                    .expectEvents(new MemberJoinedEvent(G, 2, "bob", Role.MEMBER, "alice", T1));
        }

        @Test
        void roleDefaultsToMember() {
            fixture.given(created(Visibility.INVITE))
                    .when(new AddMemberCommand(G, "alice", "bob", null, T1))
                    .expectEvents(new MemberJoinedEvent(G, 2, "bob", Role.MEMBER, "alice", T1));
        }

        @Test
        void adminAddsAnAdmin() {
            fixture.given(groupWithBobAndCarol())
                    .when(new AddMemberCommand(G, "carol", "dave", Role.ADMIN, T1))
                    .expectEvents(new MemberJoinedEvent(G, 4, "dave", Role.ADMIN, "carol", T1));
        }

        @Test
        void adminCannotAddAnOwner() {
            fixture.given(groupWithBobAndCarol())
                    .when(new AddMemberCommand(G, "carol", "dave", Role.OWNER, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void plainMemberCannotAdd() {
            fixture.given(groupWithBobAndCarol())
                    .when(new AddMemberCommand(G, "bob", "dave", Role.MEMBER, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void nonMemberCannotAdd() {
            fixture.given(groupWithBobAndCarol())
                    .when(new AddMemberCommand(G, "zed", "dave", Role.MEMBER, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void existingMemberIsAConflict() {
            fixture.given(groupWithBobAndCarol())
                    .when(new AddMemberCommand(G, "alice", "bob", Role.MEMBER, T1))
                    .expectException(GroupConflictException.class)
                    .expectNoEvents();
        }

        @Test
        void bannedUserCannotBeAddedUntilUnbanned() {
            fixture.given(created(Visibility.INVITE), new MemberRemovedEvent(G, 2, "bob", "alice", true, false, T0))
                    .when(new AddMemberCommand(G, "alice", "bob", Role.MEMBER, T1))
                    .expectException(GroupConflictException.class)
                    .expectNoEvents();
        }

        @Test
        void malformedUserIdIsRejected() {
            fixture.given(created(Visibility.INVITE))
                    .when(new AddMemberCommand(G, "alice", "bob smith", Role.MEMBER, T1))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
        }
    }

    @Nested
    class RemoveMember {

        @Test
        void ownerKicksAMember() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RemoveMemberCommand(G, "alice", "bob", false, T1))
                    .expectEvents(new MemberRemovedEvent(G, 4, "bob", "alice", false, true, T1));
        }

        @Test
        void adminKicksAndBansAMemberWhoThenCannotJoin() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RemoveMemberCommand(G, "carol", "bob", true, T1))
                    .expectEvents(new MemberRemovedEvent(G, 4, "bob", "carol", true, true, T1));
            fixture.given(groupWithBobAndCarol())
                    .andGiven(new MemberRemovedEvent(G, 4, "bob", "carol", true, true, T1))
                    .when(new JoinGroupCommand(G, "bob", T1))
                    .expectException(NotAllowedException.class);
        }

        @Test
        void adminCannotKickAnotherAdminOrAnOwner() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(joined(4, "dave", Role.ADMIN))
                    .when(new RemoveMemberCommand(G, "carol", "dave", false, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .when(new RemoveMemberCommand(G, "carol", "alice", false, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void adminCannotBanAnotherAdmin() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(joined(4, "dave", Role.ADMIN))
                    .when(new RemoveMemberCommand(G, "carol", "dave", true, T1))
                    .expectException(NotAllowedException.class)
                    .expectExceptionMessage("only owners remove or ban admins")
                    .expectNoEvents();
        }

        @Test
        void ownerBansAnAdmin() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RemoveMemberCommand(G, "alice", "carol", true, T1))
                    .expectEvents(new MemberRemovedEvent(G, 4, "carol", "alice", true, true, T1));
        }

        @Test
        void plainMemberCannotKick() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RemoveMemberCommand(G, "bob", "carol", false, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void nonMemberCanBeBannedPreemptively() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RemoveMemberCommand(G, "alice", "spammer", true, T1))
                    .expectEvents(new MemberRemovedEvent(G, 4, "spammer", "alice", true, false, T1));
        }

        @Test
        void removingANonMemberWithoutBanChangesNothing() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RemoveMemberCommand(G, "alice", "zed", false, T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
        }

        @Test
        void removingYourselfIsRejected() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RemoveMemberCommand(G, "carol", "carol", false, T1))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
        }
    }

    @Nested
    class Unban {

        @Test
        void adminLiftsABanAndTheUserJoinsAgain() {
            Object banned = new MemberRemovedEvent(G, 4, "bob", "alice", true, true, T0);
            fixture.given(groupWithBobAndCarol())
                    .andGiven(banned)
                    .when(new UnbanMemberCommand(G, "carol", "bob", T1))
                    .expectEvents(new MemberUnbannedEvent(G, 5, "bob", "carol", T1));
            fixture.given(groupWithBobAndCarol())
                    .andGiven(banned, new MemberUnbannedEvent(G, 5, "bob", "carol", T1))
                    .when(new JoinGroupCommand(G, "bob", T1))
                    .expectEvents(new MemberJoinedEvent(G, 6, "bob", Role.MEMBER, null, T1));
        }

        @Test
        void plainMemberCannotUnban() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(new MemberRemovedEvent(G, 4, "zed", "alice", true, false, T0))
                    .when(new UnbanMemberCommand(G, "bob", "zed", T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void unbanningSomeoneNotBannedChangesNothing() {
            fixture.given(groupWithBobAndCarol())
                    .when(new UnbanMemberCommand(G, "alice", "zed", T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
        }
    }

    @Nested
    class ChangeRole {

        @Test
        void ownerPromotesAMemberToAdmin() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "alice", "bob", Role.ADMIN, T1))
                    .expectEvents(new RoleChangedEvent(G, 4, "bob", Role.ADMIN, "alice", T1));
        }

        @Test
        void adminPromotesAMemberToAdminButNotToOwner() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "carol", "bob", Role.ADMIN, T1))
                    .expectEvents(new RoleChangedEvent(G, 4, "bob", Role.ADMIN, "carol", T1));
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "carol", "bob", Role.OWNER, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void adminCannotDemoteAnOwner() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "carol", "alice", Role.MEMBER, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void adminCannotDemoteAnotherAdmin() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(joined(4, "dave", Role.ADMIN))
                    .when(new ChangeRoleCommand(G, "carol", "dave", Role.MEMBER, T1))
                    .expectException(NotAllowedException.class)
                    .expectExceptionMessage("only owners change the role of admins")
                    .expectNoEvents();
        }

        @Test
        void ownerDemotesAnAdmin() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "alice", "carol", Role.MEMBER, T1))
                    .expectEvents(new RoleChangedEvent(G, 4, "carol", Role.MEMBER, "alice", T1));
        }

        @Test
        void adminStepsDownThemselves() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "carol", "carol", Role.MEMBER, T1))
                    .expectEvents(new RoleChangedEvent(G, 4, "carol", Role.MEMBER, "carol", T1));
        }

        @Test
        void plainMemberCannotChangeRoles() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "bob", "bob", Role.ADMIN, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void lastOwnerCannotStepDown() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "alice", "alice", Role.ADMIN, T1))
                    .expectException(GroupConflictException.class)
                    .expectNoEvents();
        }

        @Test
        void ownerStepsDownOnceAnotherOwnerExists() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(new RoleChangedEvent(G, 4, "carol", Role.OWNER, "alice", T0))
                    .when(new ChangeRoleCommand(G, "alice", "alice", Role.MEMBER, T1))
                    .expectEvents(new RoleChangedEvent(G, 5, "alice", Role.MEMBER, "alice", T1));
        }

        @Test
        void nonMemberTargetIsAConflict() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "alice", "zed", Role.ADMIN, T1))
                    .expectException(GroupConflictException.class)
                    .expectNoEvents();
        }

        @Test
        void unchangedRoleChangesNothing() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "alice", "carol", Role.ADMIN, T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
        }

        @Test
        void missingRoleIsRejected() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeRoleCommand(G, "alice", "bob", null, T1))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
        }
    }

    @Nested
    class Send {

        @Test
        void memberSendsAndGetsTheNextSeq() {
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "bob", "c-1", "  hi\tthere\n ", null, T1))
                    .expectEvents(
                            new MessageSentEvent(G, 4, messageId("bob", "c-1"), "c-1", "bob", "hi\tthere", null, T1))
                    .expectResultMessagePayload(new SendReceiptView(4, messageId("bob", "c-1"), T1, false));
        }

        @Test
        void nonMemberCannotSend() {
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "zed", "c-1", "hi", null, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void retryWithTheSameClientMessageIdReturnsTheOriginalSeqAndStoresNothing() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "hi"), sent(5, "carol", "c-9", "yo"))
                    .when(new SendMessageCommand(G, "bob", "c-1", "hi", null, T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents()
                    .expectResultMessagePayload(new SendReceiptView(4, messageId("bob", "c-1"), T0, true));
        }

        @Test
        void retryIsRecognisedEvenAfterTheSenderWasRemoved() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(
                            sent(4, "bob", "c-1", "hi"), new MemberRemovedEvent(G, 5, "bob", "alice", false, true, T0))
                    .when(new SendMessageCommand(G, "bob", "c-1", "hi", null, T1))
                    .expectNoEvents()
                    .expectResultMessagePayload(new SendReceiptView(4, messageId("bob", "c-1"), T0, true));
        }

        @Test
        void sameClientMessageIdWithAnotherTextIsAConflict() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "hi"))
                    .when(new SendMessageCommand(G, "bob", "c-1", "hello", null, T1))
                    .expectException(GroupConflictException.class)
                    .expectNoEvents();
        }

        @Test
        void sameClientMessageIdFromAnotherSenderIsANewMessage() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "hi"))
                    .when(new SendMessageCommand(G, "carol", "c-1", "hi", null, T1))
                    .expectEvents(
                            new MessageSentEvent(G, 5, messageId("carol", "c-1"), "c-1", "carol", "hi", null, T1));
        }

        @Test
        void aSendIsRecognisedAfterTenThousandLaterSends() {
            List<Object> history = new ArrayList<>(List.of(groupWithBobAndCarol()));
            history.add(sent(4, "bob", "first", "hi"));
            for (int i = 0; i < RecentSends.CAPACITY - 1; i++) {
                history.add(sent(5 + i, "carol", "c-" + i, "x"));
            }
            fixture.given(history)
                    .when(new SendMessageCommand(G, "bob", "first", "hi", null, T1))
                    .expectNoEvents()
                    .expectResultMessagePayload(new SendReceiptView(4, messageId("bob", "first"), T0, true));
        }

        @Test
        void blankTextIsRejected() {
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "bob", "c-1", " \n ", null, T1))
                    .expectException(InvalidFieldException.class)
                    .expectExceptionMessage("text: must not be blank")
                    .expectNoEvents();
        }

        @Test
        void textOverTheLimitIsRejected() {
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "bob", "c-1", "x".repeat(21), null, T1))
                    .expectException(TextTooLongException.class)
                    .expectNoEvents();
        }

        @Test
        void textAtTheLimitCountsCodePoints() {
            String twentyEmoji = "\uD83D\uDE00".repeat(20);
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "bob", "c-1", twentyEmoji, null, T1))
                    .expectSuccessfulHandlerExecution();
        }

        @Test
        void controlCharactersAndLoneSurrogatesAreRejected() {
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "bob", "c-1", "bell\u0007", null, T1))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "bob", "c-1", "half \uD83D", null, T1))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
        }

        @Test
        void missingClientMessageIdIsRejected() {
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "bob", null, "hi", null, T1))
                    .expectException(InvalidFieldException.class)
                    .expectExceptionMessage("clientMessageId: must not be empty")
                    .expectNoEvents();
        }

        @Test
        void replyToAnEarlierMessage() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "carol", "c-9", "question?"))
                    .when(new SendMessageCommand(G, "bob", "c-1", "answer", 4L, T1))
                    .expectEvents(new MessageSentEvent(G, 5, messageId("bob", "c-1"), "c-1", "bob", "answer", 4L, T1));
        }

        @Test
        void replyToAnythingButAMessageIsRejected() {
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "bob", "c-1", "answer", 2L, T1))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .when(new SendMessageCommand(G, "bob", "c-1", "answer", 99L, T1))
                    .expectException(InvalidFieldException.class)
                    .expectExceptionMessage("replyToSeq: must be the seq of a message of this group")
                    .expectNoEvents();
        }
    }

    @Nested
    class Edit {

        @Test
        void authorEdits() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "helo"))
                    .when(new EditMessageCommand(G, "bob", 4, " hello ", T1))
                    .expectEvents(new MessageEditedEvent(G, 5, 4, "bob", "hello", T1));
        }

        @Test
        void onlyTheAuthorEdits() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "helo"))
                    .when(new EditMessageCommand(G, "alice", 4, "hello", T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void deletedMessageCannotBeEdited() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "helo"), new MessageDeletedEvent(G, 5, 4, "bob", T0))
                    .when(new EditMessageCommand(G, "bob", 4, "hello", T1))
                    .expectException(GroupConflictException.class)
                    .expectNoEvents();
        }

        @Test
        void aMessageFurtherBackThanTheDeleteWindowCannotBeEdited() {
            // bob's message at seq 4, then so many of carol's that it lies one seq beyond the window
            List<Object> later = new ArrayList<>();
            for (long seq = 5; seq <= 5 + GroupAggregate.DELETE_WINDOW; seq++) {
                later.add(sent(seq, "carol", "c-" + seq, "later"));
            }
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "helo"))
                    .andGiven(later)
                    .when(new EditMessageCommand(G, "bob", 4, "hello", T1))
                    .expectException(GroupConflictException.class)
                    .expectExceptionMessage("message 4 is more than 20000 events old and can no longer be edited")
                    .expectNoEvents();
        }

        @Test
        void seqThatIsNotAMessageIsNotFound() {
            fixture.given(groupWithBobAndCarol())
                    .when(new EditMessageCommand(G, "bob", 2, "hello", T1))
                    .expectException(NoSuchMessageException.class)
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .when(new EditMessageCommand(G, "bob", 42, "hello", T1))
                    .expectException(NoSuchMessageException.class)
                    .expectNoEvents();
        }

        @Test
        void authorWhoLeftCannotEdit() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "helo"), new MemberLeftEvent(G, 5, "bob", T0))
                    .when(new EditMessageCommand(G, "bob", 4, "hello", T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void invalidTextIsRejected() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "helo"))
                    .when(new EditMessageCommand(G, "bob", 4, "", T1))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
        }
    }

    @Nested
    class Delete {

        @Test
        void authorDeletes() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "oops"))
                    .when(new DeleteMessageCommand(G, "bob", 4, T1))
                    .expectEvents(new MessageDeletedEvent(G, 5, 4, "bob", T1));
        }

        @Test
        void adminDeletesSomeoneElsesMessage() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "spam"))
                    .when(new DeleteMessageCommand(G, "carol", 4, T1))
                    .expectEvents(new MessageDeletedEvent(G, 5, 4, "carol", T1));
        }

        @Test
        void plainMemberCannotDeleteSomeoneElsesMessage() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "carol", "c-1", "mine"))
                    .when(new DeleteMessageCommand(G, "bob", 4, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void deletingTwiceChangesNothing() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "oops"), new MessageDeletedEvent(G, 5, 4, "bob", T0))
                    .when(new DeleteMessageCommand(G, "bob", 4, T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
        }

        @Test
        void deletionsFurtherBackThanTheWindowAreLetGoWhenTheNextOneComes() {
            // a deletion of seq 4, a window's worth of messages, and a deletion of the last of them
            List<Object> later = new ArrayList<>();
            long last = 6 + GroupAggregate.DELETE_WINDOW;
            for (long seq = 6; seq <= last; seq++) {
                later.add(sent(seq, "bob", "c-" + seq, "later"));
            }
            later.add(new MessageDeletedEvent(G, last + 1, last, "bob", T0));
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "oops"), new MessageDeletedEvent(G, 5, 4, "bob", T0))
                    .andGiven(later)
                    .when(new DeleteMessageCommand(G, "bob", last, T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents()
                    .expectState(group -> {
                        assertThat(group.remembersDeletionOf(last)).isTrue();
                        assertThat(group.remembersDeletionOf(4)).isFalse();
                    });
        }

        @Test
        void nonMemberCannotDelete() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "oops"))
                    .when(new DeleteMessageCommand(G, "zed", 4, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }
    }

    @Nested
    class MarkRead {

        @Test
        void memberMovesTheirReadMarkerWithoutTakingASeq() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "carol", "c-1", "hi"))
                    .when(new MarkReadCommand(G, "bob", 4, T1))
                    .expectEvents(new ReadMarkerMovedEvent(G, "bob", 4, T1));
        }

        @Test
        void nonMemberCannotMarkRead() {
            fixture.given(groupWithBobAndCarol())
                    .when(new MarkReadCommand(G, "zed", 2, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void seqBeyondTheGroupOrBelowOneIsRejected() {
            fixture.given(groupWithBobAndCarol())
                    .when(new MarkReadCommand(G, "bob", 4, T1))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .when(new MarkReadCommand(G, "bob", 0, T1))
                    .expectException(InvalidFieldException.class)
                    .expectNoEvents();
        }
    }

    @Test
    void recentSendsKeepAtLeastTheLastTenThousand() {
        RecentSends sends = new RecentSends();
        for (int i = 0; i < RecentSends.CAPACITY + 5; i++) {
            sends.remember("u", "c-" + i, i + 1, T0, "x", null);
        }
        assertThat(sends.size()).isEqualTo(RecentSends.CAPACITY);
        assertThat(sends.find("u", "c-4")).isEmpty();
        assertThat(sends.find("u", "c-5")).isPresent();
    }

    @Nested
    class Lifecycle {

        private final GroupArchivedEvent archived = new GroupArchivedEvent(G, 4, "alice", T0);

        @Test
        void ownersAndAdminsRenameAndSetTheTopic() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RenameGroupCommand(G, "alice", "  Design team ", T1))
                    .expectEvents(new GroupRenamedEvent(G, 4, "Design team", "alice", T1));
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeTopicCommand(G, "carol", " Sprint 12 ", T1))
                    .expectEvents(new TopicChangedEvent(G, 4, "Sprint 12", "carol", T1));
        }

        @Test
        void aPlainMemberNeitherRenamesNorSetsTheTopic() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RenameGroupCommand(G, "bob", "Mine", T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeTopicCommand(G, "bob", "mine", T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
        }

        @Test
        void badNamesAndTopicsAreRefusedNamingTheField() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RenameGroupCommand(G, "alice", " ", T1))
                    .expectException(InvalidFieldException.class)
                    .expectExceptionMessage("name: must not be blank")
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .when(new ChangeTopicCommand(G, "alice", "t".repeat(251), T1))
                    .expectException(InvalidFieldException.class)
                    .expectExceptionMessage("topic: must be at most 250 characters, without control characters")
                    .expectNoEvents();
        }

        @Test
        void theNameOrTopicTheGroupHasStoresNothing() {
            fixture.given(groupWithBobAndCarol())
                    .when(new RenameGroupCommand(G, "alice", "Design", T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .andGiven(new TopicChangedEvent(G, 4, "Sprint", "alice", T0))
                    .when(new ChangeTopicCommand(G, "carol", "Sprint", T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
        }

        @Test
        void onlyOwnersArchiveAndUnarchiveAndAgainIsANoOp() {
            fixture.given(groupWithBobAndCarol())
                    .when(new ArchiveGroupCommand(G, "carol", true, T1))
                    .expectException(NotAllowedException.class)
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .when(new ArchiveGroupCommand(G, "alice", true, T1))
                    .expectEvents(new GroupArchivedEvent(G, 4, "alice", T1));
            fixture.given(groupWithBobAndCarol())
                    .andGiven(archived)
                    .when(new ArchiveGroupCommand(G, "alice", true, T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
            fixture.given(groupWithBobAndCarol())
                    .andGiven(archived)
                    .when(new ArchiveGroupCommand(G, "alice", false, T1))
                    .expectEvents(new GroupUnarchivedEvent(G, 5, "alice", T1));
            fixture.given(groupWithBobAndCarol())
                    .when(new ArchiveGroupCommand(G, "alice", false, T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
        }

        @Test
        void anArchivedGroupRefusesSendsEditsJoinsAddsAndRenamesNamingItsState() {
            for (Object command : List.of(
                    new SendMessageCommand(G, "bob", "c-9", "hello", null, T1),
                    new EditMessageCommand(G, "bob", 5, "edited", T1),
                    new JoinGroupCommand(G, "dave", T1),
                    new AddMemberCommand(G, "alice", "dave", Role.MEMBER, T1),
                    new RenameGroupCommand(G, "alice", "Other", T1),
                    new ChangeTopicCommand(G, "alice", "other", T1))) {
                fixture.given(groupWithBobAndCarol())
                        .andGiven(archived, sent(5, "bob", "c-1", "before"))
                        .when(command)
                        .expectException(GroupConflictException.class)
                        .expectExceptionMessage(org.hamcrest.Matchers.containsString("group g1 is archived"))
                        .expectNoEvents();
            }
        }

        @Test
        void anArchivedGroupStillLetsMembersLeaveBeRemovedAndRetryAnEarlierSend() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(archived)
                    .when(new LeaveGroupCommand(G, "bob", T1))
                    .expectEvents(new MemberLeftEvent(G, 5, "bob", T1));
            fixture.given(groupWithBobAndCarol())
                    .andGiven(archived)
                    .when(new RemoveMemberCommand(G, "alice", "bob", false, T1))
                    .expectSuccessfulHandlerExecution();
            fixture.given(groupWithBobAndCarol())
                    .andGiven(sent(4, "bob", "c-1", "hello"), new GroupArchivedEvent(G, 5, "alice", T0))
                    .when(new SendMessageCommand(G, "bob", "c-1", "hello", null, T1))
                    .expectSuccessfulHandlerExecution()
                    .expectNoEvents();
        }

        @Test
        void anUnarchivedGroupTakesMessagesAgain() {
            fixture.given(groupWithBobAndCarol())
                    .andGiven(archived, new GroupUnarchivedEvent(G, 5, "alice", T0))
                    .when(new SendMessageCommand(G, "bob", "c-1", "back", null, T1))
                    .expectEvents(new MessageSentEvent(G, 6, messageId("bob", "c-1"), "c-1", "bob", "back", null, T1));
        }
    }
}
