package io.chorus.app;

import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import io.chorus.push.CommittedAheadPush;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Configuration;

/**
 * Lets this node's push deliver the events that the PostgreSQL event store finds committed but held back in the
 * stream ({@link CommittedAheadPush}). Nothing to wire when the events live in Axon Server.
 */
@Configuration
class CommittedAheadWiring {

    CommittedAheadWiring(
            ObjectProvider<CommitOrderedEventStorageEngine> engine, ObjectProvider<CommittedAheadPush> push) {
        engine.ifAvailable(store -> push.ifAvailable(store::observeCommittedAhead));
    }
}
