package io.chorus.query.recent;

import io.chorus.api.GroupEvent;
import io.chorus.api.message.MessageDeletedEvent;
import io.chorus.api.message.MessageEditedEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.query.history.MessageView;
import io.chorus.query.projection.SlotProjection;
import io.chorus.query.recent.RecentWindow.MessageChange;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.redisson.api.RBatch;
import org.redisson.api.RedissonClient;

/**
 * The recent window of each group in Redis ({@link RecentWindow}), in one slot. The events of a batch are sent to
 * Redis in one pipeline when the batch's unit of work commits, before its token is stored; when Redis does not
 * answer, the batch fails and is retried from the stored token (the processor is set to propagate errors), so the
 * window never skips an event. Reads meanwhile come from PostgreSQL.
 */
class RecentWindowProjection implements SlotProjection {

    static final String NAME = "recent";

    private static final String BATCH = RecentWindowProjection.class.getName() + ".batch";

    private final String slot;
    private final RecentWindow window;
    private final RedissonClient redisson;

    RecentWindowProjection(String slot, RecentWindow window, RedissonClient redisson) {
        this.slot = slot;
        this.window = window;
        this.redisson = redisson;
    }

    @Override
    public String projection() {
        return NAME;
    }

    @Override
    public String slot() {
        return slot;
    }

    @Override
    public void clear() {
        window.clear(slot);
    }

    /** The batch of Redis commands of the current unit of work, sent when it commits. */
    private RBatch batch() {
        UnitOfWork<?> unitOfWork = CurrentUnitOfWork.get();
        return unitOfWork.root().getOrComputeResource(BATCH, key -> {
            RBatch batch = redisson.createBatch();
            unitOfWork.root().onPrepareCommit(u -> batch.execute());
            return batch;
        });
    }

    @EventHandler
    void on(MessageSentEvent event) {
        MessageView message = new MessageView(
                event.groupId(),
                event.seq(),
                event.messageId(),
                event.clientMessageId(),
                event.senderId(),
                event.text(),
                event.sentAt(),
                event.replyToSeq(),
                null,
                false);
        window.apply(
                batch(),
                slot,
                event.groupId(),
                event.seq(),
                "sent",
                new MessageChange(window.toJson(message), event.seq(), ""));
    }

    @EventHandler
    void on(MessageEditedEvent event) {
        window.apply(
                batch(),
                slot,
                event.groupId(),
                event.seq(),
                "edited",
                new MessageChange(
                        event.text(), event.messageSeq(), event.editedAt().toString()));
    }

    @EventHandler
    void on(MessageDeletedEvent event) {
        window.apply(
                batch(), slot, event.groupId(), event.seq(), "deleted", new MessageChange("", event.messageSeq(), ""));
    }

    /** Membership and group events only move the window's last seq, so that a page knows what it is current with. */
    @EventHandler
    void on(GroupEvent event) {
        window.apply(batch(), slot, event.groupId(), event.seq(), "other", MessageChange.NONE);
    }
}
