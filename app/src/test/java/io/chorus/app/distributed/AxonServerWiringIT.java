package io.chorus.app.distributed;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.api.MembershipLookup;
import io.chorus.api.group.AddMemberCommand;
import io.chorus.api.group.ChangeRoleCommand;
import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.JoinGroupCommand;
import io.chorus.api.group.LeaveGroupCommand;
import io.chorus.api.group.RemoveMemberCommand;
import io.chorus.api.group.UnbanMemberCommand;
import io.chorus.api.message.DeleteMessageCommand;
import io.chorus.api.message.EditMessageCommand;
import io.chorus.api.message.MarkReadCommand;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.app.Api;
import io.chorus.app.TestRedis;
import io.chorus.command.CommandSideApplication;
import io.chorus.push.PushApplication;
import io.chorus.query.QuerySideApplication;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.List;
import org.axonframework.axonserver.connector.AxonServerConfiguration;
import org.axonframework.axonserver.connector.AxonServerConnectionManager;
import org.axonframework.axonserver.connector.command.AxonServerCommandBus;
import org.axonframework.axonserver.connector.event.axon.AxonServerEventStore;
import org.axonframework.axonserver.connector.query.AxonServerQueryBus;
import org.axonframework.commandhandling.CommandBus;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.distributed.AnnotationRoutingStrategy;
import org.axonframework.commandhandling.distributed.RoutingStrategy;
import org.axonframework.config.Configuration;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.queryhandling.QueryBus;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.boot.web.servlet.context.AnnotationConfigServletWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The distributed mode's wiring, as far as it goes without an Axon Server (none can run on the build machine): each
 * side starts on its own entry point with the profile {@code axonserver}, pointed at an address where nothing
 * listens, and gets Axon Server's event store, command bus and query bus in place of the PostgreSQL event store;
 * only its own side's beans; commands routed by group id; and (command and push sides, which start without the
 * server) a health report that says Axon Server is missing.
 */
class AxonServerWiringIT {

    @Test
    void theCommandSideRunsOnAxonServerAndRoutesEveryCommandByItsGroup() throws Exception {
        try (ConfigurableApplicationContext side = start(CommandSideApplication.class, "chorus-command")) {
            assertAxonServerInfrastructure(side, "chorus-command");
            assertThat(side.getBean(CommandBus.class)).isInstanceOf(AxonServerCommandBus.class);
            assertThat(side.getBeanNamesForType(MembershipLookup.class)).isEmpty();
            assertThat(side.containsBean("groupFanOut")).isFalse();

            // every command of the contract is routed by the group it targets
            RoutingStrategy routing = side.getBean(Configuration.class)
                    .getComponent(RoutingStrategy.class, AnnotationRoutingStrategy::defaultStrategy);
            for (Class<?> command : commandTypes()) {
                assertThat(routing.getRoutingKey(GenericCommandMessage.asCommandMessage(sample(command))))
                        .as(command.getSimpleName())
                        .isEqualTo("g-routed");
            }
        }
    }

    @Test
    void theQuerySideRunsItsProjectionsOnAxonServersStreamAndAnswersMembershipQueries() throws Exception {
        // its pooled processors need Axon Server to start (their first tokens come from it): the context is built
        // but not started, so the beans are checked as they would run
        ConfigurableApplicationContext side = null;
        try {
            side = build(QuerySideApplication.class, "chorus-query");
            assertAxonServerBeans(side, "chorus-query");
            assertThat(side.getBean(QueryBus.class)).isInstanceOf(AxonServerQueryBus.class);
            EventProcessingConfiguration processing = side.getBean(EventProcessingConfiguration.class);
            for (String processor : List.of("history-a", "history-b", "recent-a", "recent-b")) {
                assertThat(processing.eventProcessor(processor, StreamingEventProcessor.class))
                        .as(processor)
                        .isPresent();
            }
            assertThat(side.getBean(MembershipLookup.class).getClass().getSimpleName())
                    .isEqualTo("GroupAccess");
            assertThat(side.containsBean("membershipQueryHandler")).isTrue();
            assertThat(side.containsBean("groupFanOut")).isFalse();
        } finally {
            if (side != null) {
                // never started, so never stopped by the context: its connection threads would outlive the test
                side.getBean(AxonServerConnectionManager.class).shutdown();
                side.close();
            }
        }
    }

    @Test
    void aPushNodeFollowsAxonServersStreamAndAsksTheQuerySideForMemberships() throws Exception {
        try (ConfigurableApplicationContext side = start(PushApplication.class, "chorus-push")) {
            assertAxonServerInfrastructure(side, "chorus-push");
            assertThat(side.getBean(MembershipLookup.class).getClass().getSimpleName())
                    .isEqualTo("QueryBusMembershipLookup");
            assertThat(side.containsBean("groupFanOut")).isTrue();
            assertThat(side.getBean(EventProcessingConfiguration.class)
                            .eventProcessors()
                            .keySet())
                    .noneMatch(name -> name.startsWith("history") || name.startsWith("recent"));
        }
    }

    private static void assertAxonServerInfrastructure(ConfigurableApplicationContext side, String name) {
        assertAxonServerBeans(side, name);
        // the health report names what is missing
        int port = ((WebServerApplicationContext) side).getWebServer().getPort();
        Api api = new Api(port);
        Api.Response health = api.call("GET", "/actuator/health", api.token("ops", "chorus:admin"), null);
        assertThat(health.status()).isEqualTo(503);
        assertThat(health.body().at("/components/axonServer/status").asText()).isNotEqualTo("UP");
    }

    private static void assertAxonServerBeans(ConfigurableApplicationContext side, String name) {
        assertThat(side.getBean(EventStore.class)).isInstanceOf(AxonServerEventStore.class);
        assertThat(side.getBeanNamesForType(EventStorageEngine.class)).isEmpty();
        assertThat(side.getBeanNamesForType(io.chorus.eventstore.EventStreamListener.class))
                .isEmpty();
        AxonServerConfiguration axonServer = side.getBean(AxonServerConfiguration.class);
        assertThat(axonServer.isEnabled()).isTrue();
        assertThat(axonServer.getContext()).isEqualTo("default");
        assertThat(axonServer.getComponentName()).isEqualTo(name);
    }

    private static ConfigurableApplicationContext start(Class<?> side, String name) throws IOException {
        return builder(side).run(arguments(name));
    }

    /** The side's context, refreshed but not started: no lifecycle runs, so nothing connects or listens. */
    private static ConfigurableApplicationContext build(Class<?> side, String name) throws IOException {
        return builder(side)
                .contextFactory(type -> new AnnotationConfigServletWebServerApplicationContext() {
                    @Override
                    protected void finishRefresh() {
                        // the lifecycle (Axon's processors, the web server) is left unstarted
                    }
                })
                .run(arguments(name));
    }

    private static String[] arguments(String name) throws IOException {
        int nowhere;
        try (ServerSocket socket = new ServerSocket(0)) {
            nowhere = socket.getLocalPort();
        }
        return new String[] {
            "--server.port=0", "--spring.application.name=" + name, "--axon.axonserver.servers=localhost:" + nowhere
        };
    }

    private static SpringApplicationBuilder builder(Class<?> side) {
        return new SpringApplicationBuilder(side)
                .profiles("it", "axonserver")
                .initializers(new TestRedis.Initializer());
    }

    /** Every command of the contract. */
    private static List<Class<?>> commandTypes() {
        return List.of(
                CreateGroupCommand.class,
                JoinGroupCommand.class,
                LeaveGroupCommand.class,
                AddMemberCommand.class,
                RemoveMemberCommand.class,
                UnbanMemberCommand.class,
                ChangeRoleCommand.class,
                SendMessageCommand.class,
                EditMessageCommand.class,
                DeleteMessageCommand.class,
                MarkReadCommand.class);
    }

    /** An instance of a command record with groupId "g-routed" and plain values elsewhere. */
    private static Object sample(Class<?> command) throws Exception {
        RecordComponent[] components = command.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            Class<?> type = components[i].getType();
            types[i] = type;
            if (components[i].getName().equals("groupId")) {
                values[i] = "g-routed";
            } else if (type == String.class) {
                values[i] = "x";
            } else if (type == long.class || type == Long.class) {
                values[i] = 1L;
            } else if (type == int.class || type == Integer.class) {
                values[i] = 1;
            } else if (type == boolean.class || type == Boolean.class) {
                values[i] = false;
            } else if (type == Instant.class) {
                values[i] = Instant.now();
            } else if (type.isEnum()) {
                values[i] = type.getEnumConstants()[0];
            }
        }
        return command.getDeclaredConstructor(types).newInstance(values);
    }
}
