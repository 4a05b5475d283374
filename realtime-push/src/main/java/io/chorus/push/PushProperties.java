package io.chorus.push;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Tunables of the STOMP endpoint.
 *
 * @param allowedOrigins origin patterns allowed to open a connection
 * @param replayLimit the most missed events a resuming subscription is sent; beyond it, {@code chorus-resync}
 * @param heartbeat the server's heart-beat interval, both ways
 * @param messageSizeLimit the largest inbound STOMP message; a larger one is an ERROR and a closed connection
 * @param sendTimeLimit how long a send to a client may block before the client is cut off as too slow
 * @param sendBufferSizeLimit how much may queue for a client before it is cut off as too slow
 * @param maxSessionsPerUser STOMP sessions one user may hold at once on a node; one more CONNECT is refused
 * @param maxSubscriptionsPerSession subscriptions (any destination) one STOMP session may hold; one more is refused
 * @param catchUpHeldLimit live events held back per subscription while it catches up; past it the catch-up reads
 *     them from the event store instead
 */
@ConfigurationProperties("chorus.push")
record PushProperties(
        @DefaultValue("*") List<String> allowedOrigins,
        @DefaultValue("1000") int replayLimit,
        @DefaultValue("10s") Duration heartbeat,
        @DefaultValue("64KB") DataSize messageSizeLimit,
        @DefaultValue("10s") Duration sendTimeLimit,
        @DefaultValue("512KB") DataSize sendBufferSizeLimit,
        @DefaultValue("20") int maxSessionsPerUser,
        @DefaultValue("100") int maxSubscriptionsPerSession,
        @DefaultValue("1000") int catchUpHeldLimit) {}
