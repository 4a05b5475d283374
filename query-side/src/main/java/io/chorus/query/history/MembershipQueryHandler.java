package io.chorus.query.history;

import io.chorus.api.MembershipLookup;
import io.chorus.api.MembershipLookup.Membership;
import io.chorus.api.MembershipQuery;
import java.util.Optional;
import org.axonframework.queryhandling.QueryHandler;
import org.springframework.stereotype.Component;

/** Answers {@link MembershipQuery} from the read model, for push nodes in processes of their own. */
@Component
class MembershipQueryHandler {

    private final MembershipLookup access;

    MembershipQueryHandler(MembershipLookup access) {
        this.access = access;
    }

    @QueryHandler
    Optional<Membership> handle(MembershipQuery query) {
        return access.membership(query.groupId(), query.userId());
    }
}
