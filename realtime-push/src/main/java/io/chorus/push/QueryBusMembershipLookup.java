package io.chorus.push;

import io.chorus.api.MembershipLookup;
import io.chorus.api.MembershipQuery;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.axonframework.messaging.responsetypes.ResponseTypes;
import org.axonframework.queryhandling.QueryGateway;

/**
 * Membership asked of the query side over Axon's query bus: what a push node uses when it runs without the query
 * side in its process (the distributed mode, where Axon Server routes the query). A query side that does not answer
 * within the time limit means no authorization.
 */
class QueryBusMembershipLookup implements MembershipLookup {

    private static final long TIMEOUT_SECONDS = 5;

    private final QueryGateway queries;

    QueryBusMembershipLookup(QueryGateway queries) {
        this.queries = queries;
    }

    @Override
    public Optional<Membership> membership(String groupId, String userId) {
        try {
            return queries.query(
                            new MembershipQuery(groupId, userId), ResponseTypes.optionalInstanceOf(Membership.class))
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the query side for a membership", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the query side did not answer a membership query", e);
        }
    }
}
