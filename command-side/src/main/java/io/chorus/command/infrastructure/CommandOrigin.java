package io.chorus.command.infrastructure;

import java.util.Map;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.messaging.Message;
import org.axonframework.messaging.correlation.CorrelationDataProvider;
import org.axonframework.messaging.correlation.MessageOriginProvider;

/**
 * Axon's correlation and trace ids ({@link MessageOriginProvider}), carried from a command to the events it applies,
 * and from nothing else. Axon asks the providers about every message handled, events in every projection included,
 * and for an event read from the store that meant deserializing its metadata and building the maps for each
 * projection and each event: about 4% of the node's CPU at 2,000 messages/s (bench/push-benchmark.sh, JFR). Chorus's
 * event handlers send no messages on, so what they would have carried was never used.
 */
final class CommandOrigin implements CorrelationDataProvider {

    private final MessageOriginProvider origin = new MessageOriginProvider();

    @Override
    public Map<String, ?> correlationDataFor(Message<?> message) {
        return message instanceof CommandMessage<?> ? origin.correlationDataFor(message) : Map.of();
    }
}
