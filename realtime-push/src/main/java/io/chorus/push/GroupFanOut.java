package io.chorus.push;

import io.chorus.api.GroupEvent;
import io.chorus.api.message.MessageSentEvent;
import java.util.concurrent.TimeUnit;
import org.axonframework.common.stream.BlockingStream;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Follows the event stream from its head on this node (woken by commits here and, across nodes, by NOTIFY) and
 * hands each group event to this node's subscribers of the group. The stream is in commit order and a group's events are
 * committed in seq order, so each group's frames go out in increasing seq. Nothing is sent before its commit, and
 * this follower never replays: it starts at the head.
 */
@Component
class GroupFanOut implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GroupFanOut.class);

    private final EventStore eventStore;
    private final GroupSubscriptions subscriptions;
    private volatile Thread follower;

    GroupFanOut(EventStore eventStore, GroupSubscriptions subscriptions) {
        this.eventStore = eventStore;
        this.subscriptions = subscriptions;
    }

    private void follow() {
        TrackingToken position = eventStore.createHeadToken();
        while (follower == Thread.currentThread()) {
            try (BlockingStream<TrackedEventMessage<?>> stream = eventStore.openStream(position)) {
                while (follower == Thread.currentThread()) {
                    if (!stream.hasNextAvailable(1, TimeUnit.SECONDS)) {
                        continue;
                    }
                    TrackedEventMessage<?> event = stream.nextAvailable();
                    position = event.trackingToken();
                    if (event.getPayload() instanceof GroupEvent groupEvent) {
                        // the send→deliver meter's start: a message's own time, in the payload read anyway (the
                        // message's time stamp is parsed apart, and cost this thread a tenth of its time)
                        subscriptions.publish(
                                groupEvent,
                                groupEvent instanceof MessageSentEvent sent
                                        ? sent.sentAt().toEpochMilli()
                                        : 0);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("following the event stream failed; following on from the last event pushed", e);
                try {
                    TimeUnit.SECONDS.sleep(1);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    @Override
    public void start() {
        Thread thread = new Thread(this::follow, "push-follower");
        thread.setDaemon(true);
        follower = thread;
        thread.start();
    }

    @Override
    public void stop() {
        Thread thread = follower;
        follower = null;
        if (thread != null) {
            thread.interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return follower != null;
    }

    /** Starts after Axon (the event store is ready), stops first. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 2000;
    }
}
