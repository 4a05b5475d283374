package io.chorus.command.infrastructure;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.axonframework.commandhandling.CommandBus;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.config.ConfigurerModule;
import org.axonframework.messaging.Message;
import org.axonframework.monitoring.MessageMonitor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Counts the commands the command bus handled and those that failed (refused, conflicting, or not stored), per
 * command type, and times their handling: {@code chorus.commands{command,outcome}}. Axon's message monitor of the
 * command bus reports each command once, after its unit of work committed or rolled back.
 */
@Configuration
class CommandMetrics {

    @Bean
    ConfigurerModule commandMetricsModule(ObjectProvider<MeterRegistry> meters) {
        return configurer -> meters.ifAvailable(
                registry -> configurer.configureMessageMonitor(CommandBus.class, axon -> new Monitor(registry)));
    }

    static final class Monitor implements MessageMonitor<Message<?>> {

        private final MeterRegistry registry;
        private final Map<String, Meters> byCommand = new ConcurrentHashMap<>();

        Monitor(MeterRegistry registry) {
            this.registry = registry;
        }

        private record Meters(Counter handled, Counter failed, Timer time) {}

        private Meters meters(String command) {
            return byCommand.computeIfAbsent(
                    command,
                    name -> new Meters(
                            counter(name, "handled"),
                            counter(name, "failed"),
                            Timer.builder("chorus.commands.time")
                                    .description("time from a command's arrival at the command bus to its outcome")
                                    .tag("command", name)
                                    .register(registry)));
        }

        private Counter counter(String command, String outcome) {
            return Counter.builder("chorus.commands")
                    .description("commands handled (their events stored) and failed (refused or not stored)")
                    .tag("command", command)
                    .tag("outcome", outcome)
                    .register(registry);
        }

        @Override
        public MonitorCallback onMessageIngested(Message<?> message) {
            String name = message instanceof CommandMessage<?> command
                    ? command.getCommandName()
                            .substring(command.getCommandName().lastIndexOf('.') + 1)
                    : message.getPayloadType().getSimpleName();
            Meters meters = meters(name);
            long start = System.nanoTime();
            return new MonitorCallback() {
                @Override
                public void reportSuccess() {
                    meters.handled().increment();
                    meters.time().record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                }

                @Override
                public void reportFailure(Throwable cause) {
                    meters.failed().increment();
                    meters.time().record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                }

                @Override
                public void reportIgnored() {
                    meters.failed().increment();
                }
            };
        }
    }
}
