package io.chorus.bench.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The push benchmark's connections against the bare broker it measures as its ceiling: every MESSAGE sent through
 * one reaches every subscriber once, whatever the size of its frame (the short and 16-bit WebSocket lengths; WebSocketFramesTest
 * covers the rest), a second subscription on a connection delivers too, connections spread over several reader threads
 * each get every message once, and a refused upgrade fails on the caller.
 */
class LeanConnectionsIT {

    private ConfigurableApplicationContext broker;
    private URI uri;
    /** Closed after each test, passed or not. */
    private final List<LeanConnections> opened = new ArrayList<>();

    @BeforeEach
    void startBroker() {
        broker = new SpringApplication(BareBrokerApp.class).run("--server.port=0", "--chorus.embedded.enabled=false");
        int port = ((WebServerApplicationContext) broker).getWebServer().getPort();
        uri = URI.create("ws://localhost:" + port + "/ws/websocket");
    }

    @AfterEach
    void stopBroker() {
        opened.forEach(LeanConnections::close);
        broker.close();
    }

    @Test
    void everySubscriberGetsEveryMessageOnceWhateverItsSize() throws Exception {
        // given three subscribers of g1 (their ids go to one list per subscriber)
        List<List<Long>> perSubscriber = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<Long> ids = new CopyOnWriteArrayList<>();
            perSubscriber.add(ids);
            LeanConnections subscriber = connections(uri, ids::add);
            subscriber.subscribe(subscriber.open("none"), "/topic/groups.g1");
        }
        Sender sender = sender();
        awaitSubscribed(sender, perSubscriber);

        // when messages with texts of 5 bytes to 7 KB are sent (the bare broker takes a SEND of up to 8 KB), each once
        // the one before has arrived (the bare
        // broker handles a session's SENDs on a pool, so it may reorder what is sent back to back)
        int[] sizes = {10, 100, 200, 1_000, 7_000, 5, 130};
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            long id = 100 + i;
            expected.add(id);
            send(sender, "g1", id, sizes[i]);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(perSubscriber)
                            .allSatisfy(ids -> assertThat(ids).contains(id)));
        }

        // then each subscriber got each of them once, and the server closed no connection
        assertThat(perSubscriber)
                .allSatisfy(
                        ids -> assertThat(ids.stream().filter(id -> id >= 100)).containsExactlyElementsOf(expected));
        assertThat(opened)
                .allSatisfy(
                        connections -> assertThat(connections.closedByServer()).isZero());
    }

    @Test
    void aSecondSubscriptionOnAConnectionDeliversToo() throws Exception {
        // given one connection subscribed to g1, then to g2
        List<Long> ids = new CopyOnWriteArrayList<>();
        LeanConnections subscriber = connections(uri, ids::add);
        int connection = subscriber.open("none");
        subscriber.subscribe(connection, "/topic/groups.g1");
        subscriber.subscribe(connection, "/topic/groups.g2");
        Sender sender = sender();
        // the subscriptions are registered once a probe on each group arrives
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            send(sender, "g1", 1, 10);
            send(sender, "g2", 2, 10);
            assertThat(ids).contains(1L, 2L);
        });

        // when
        send(sender, "g2", 20, 10);
        send(sender, "g1", 10, 10);

        // then
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(ids).contains(20L, 10L));
        assertThat(ids.stream().filter(id -> id >= 10)).containsExactlyInAnyOrder(20L, 10L);
    }

    @Test
    void connectionsSpreadOverSeveralReadersEachGetEveryMessageOnce() throws Exception {
        // given six subscribers of g1 on one set of connections read by three threads; each delivery is counted
        // per message id, with the thread that read it
        Map<Long, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        Set<String> readers = ConcurrentHashMap.newKeySet();
        LeanConnections subscribers = new LeanConnections(
                uri,
                id -> {
                    readers.add(Thread.currentThread().getName());
                    deliveries.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
                },
                null,
                3);
        opened.add(subscribers);
        for (int i = 0; i < 6; i++) {
            subscribers.subscribe(subscribers.open("none"), "/topic/groups.g1");
        }
        Sender sender = sender();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            send(sender, "g1", 1, 10);
            assertThat(deliveries.getOrDefault(1L, new AtomicInteger()).get()).isGreaterThanOrEqualTo(6);
        });

        // when 50 messages are sent back to back
        for (long id = 100; id < 150; id++) {
            send(sender, "g1", id, 10);
        }

        // then each reached all six subscribers once, read by all three threads
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(deliveries.keySet().stream().filter(id -> id >= 100))
                        .hasSize(50));
        await().pollDelay(Duration.ofMillis(200))
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(deliveries.entrySet().stream()
                                .filter(e -> e.getKey() >= 100)
                                .map(e -> e.getValue().get()))
                        .containsOnly(6));
        assertThat(readers)
                .containsExactlyInAnyOrder("bench-connections-0", "bench-connections-1", "bench-connections-2");
        assertThat(subscribers.closedByServer()).isZero();
    }

    @Test
    void anUpgradeToAPathWithNoEndpointFailsOnTheCallersThread() {
        // given
        URI nowhere = uri.resolve("/nowhere/websocket");

        // when, then
        LeanConnections connections = connections(nowhere, id -> {});
        assertThatThrownBy(() -> connections.open("none"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("the upgrade was refused");
    }

    private void awaitSubscribed(Sender sender, List<List<Long>> perSubscriber) {
        // a probe until every subscriber has one: the SUBSCRIBEs are handled by then
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            send(sender, "g1", 1, 10);
            assertThat(perSubscriber).allSatisfy(ids -> assertThat(ids).contains(1L));
        });
    }

    /** A sending connection of its own (its MESSAGEs, if any, go nowhere). */
    private Sender sender() throws IOException {
        LeanConnections connections = connections(uri, id -> {});
        return new Sender(connections, connections.open("none"));
    }

    private LeanConnections connections(URI to, LongConsumer onMessage) {
        LeanConnections connections = new LeanConnections(to, onMessage);
        opened.add(connections);
        return connections;
    }

    private record Sender(LeanConnections connections, int index) {}

    private static void send(Sender sender, String group, long id, int textLength) throws IOException {
        String text = "m" + id + (textLength > 0 ? " " + "x".repeat(textLength) : "");
        sender.connections().send(sender.index(), "/app/groups." + group + ".messages", "{\"text\":\"" + text + "\"}");
    }
}
