package io.chorus.query.events;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The integrator event stream ({@code chorus.events.*}).
 *
 * @param maxStreams Server-Sent Event streams open at once on this node; one more is answered 503
 * @param heartbeat how often an idle stream sends a comment line, so proxies keep it open and a gone client is noticed
 * @param maxLimit the largest {@code limit} of a poll
 * @param scanLimit events a filtered poll looks at before it answers with what it found and where it stopped
 * @param maxWaitingPolls long polls ({@code wait} above 0) waiting on this node at once; one more is answered 503
 */
@ConfigurationProperties("chorus.events")
public record EventStreamProperties(
        @DefaultValue("100") int maxStreams,
        @DefaultValue("15s") Duration heartbeat,
        @DefaultValue("1000") int maxLimit,
        @DefaultValue("10000") int scanLimit,
        @DefaultValue("1000") int maxWaitingPolls) {}
