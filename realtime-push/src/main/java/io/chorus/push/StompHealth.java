package io.chorus.push;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.context.SmartLifecycle;
import org.springframework.messaging.simp.broker.AbstractBrokerMessageHandler;
import org.springframework.stereotype.Component;

/**
 * The health component {@code stompBroker}: up while the STOMP broker runs and this node follows the event stream
 * (without the follower, connected clients would get nothing new); with the sessions connected.
 */
@Component("stompBroker")
class StompHealth implements HealthIndicator {

    private final AbstractBrokerMessageHandler broker;
    private final SmartLifecycle follower;
    private final SessionOutboxes outboxes;

    StompHealth(
            @Qualifier("simpleBrokerMessageHandler") AbstractBrokerMessageHandler broker,
            GroupFanOut follower,
            SessionOutboxes outboxes) {
        this.broker = broker;
        this.follower = follower;
        this.outboxes = outboxes;
    }

    @Override
    public Health health() {
        boolean brokerUp = broker.isRunning() && broker.isBrokerAvailable();
        boolean following = follower.isRunning();
        return (brokerUp && following ? Health.up() : Health.down())
                .withDetail("broker", brokerUp ? "running" : "stopped")
                .withDetail("eventStreamFollower", following ? "following" : "stopped")
                .withDetail("sessions", outboxes.sessions())
                .build();
    }
}
