package io.chorus.push;

import io.chorus.api.MembershipLookup;
import org.axonframework.queryhandling.QueryGateway;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Where SUBSCRIBE authorization learns memberships: from the query side's read model when it runs in this process
 * (the all-in-one app), else over Axon's query bus (a push node of the distributed mode).
 */
@Configuration
class MembershipConfiguration {

    @Bean
    @ConditionalOnMissingBean(MembershipLookup.class)
    MembershipLookup queryBusMembershipLookup(QueryGateway queries) {
        return new QueryBusMembershipLookup(queries);
    }
}
