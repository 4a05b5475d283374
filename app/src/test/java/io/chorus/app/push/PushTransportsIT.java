package io.chorus.app.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import io.chorus.app.SecondNode;
import io.chorus.app.push.TransportClient.Transport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * What a browser's STOMP client meets on each transport it may use (plain WebSocket, SockJS over WebSocket, SockJS
 * over XHR): frames up to {@code chorus.push.message-size-limit} (64 KB) are taken, a larger one is an ERROR frame
 * naming the limit, never a bare close; every frame that asks for a receipt gets one; and a live subscription
 * starts where the group was when its SUBSCRIBE arrived.
 */
@ChorusIT
class PushTransportsIT {

    private static final int LIMIT = 64 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @LocalServerPort
    int port;

    Api api;
    String alice;
    String group;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        alice = api.token("alice");
        group = "tr-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "Transports");
    }

    private TransportClient connected(Transport transport, int port, String token) throws Exception {
        TransportClient client = TransportClient.open(transport, port);
        client.send("CONNECT\naccept-version:1.2\nheart-beat:0,0\nAuthorization:Bearer " + token + "\n\n");
        assertThat(client.next("CONNECTED", WAIT))
                .as("CONNECTED over " + transport)
                .isNotNull();
        client.send("SUBSCRIBE\nid:acks\ndestination:/user/queue/acks\nreceipt:r-acks\n\n");
        assertThat(client.next("RECEIPT", WAIT)).contains("receipt-id:r-acks");
        return client;
    }

    private static String send(String group, String clientId, String text) {
        return "SEND\ndestination:/app/groups." + group + ".messages\ncontent-type:application/json\n\n"
                + "{\"clientMessageId\":\"" + clientId + "\",\"text\":\"" + text + "\"}";
    }

    /** A SEND frame of exactly {@code bytes} bytes with its terminating NUL. */
    private static String sendOf(String group, String clientId, int bytes) {
        int empty = (send(group, clientId, "") + "\u0000").getBytes(StandardCharsets.UTF_8).length;
        return send(group, clientId, "a".repeat(bytes - empty));
    }

    /** Frames up to the first ERROR or the close, whichever comes first. */
    private static List<String> untilErrorOrClose(TransportClient client) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        String frame;
        while ((frame = client.next(WAIT)) != null) {
            seen.add(frame);
            if (frame.startsWith("ERROR") || frame.equals(TransportClient.CLOSED)) {
                break;
            }
        }
        return seen;
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aFrameAtTheLimitIsAnsweredAndOnePastItIsAnErrorNamingTheLimitBeforeTheClose(Transport transport)
            throws Exception {
        try (TransportClient client = connected(transport, port, alice)) {
            // a frame of exactly the limit: its text is over the text limit, so the usual error ack comes back
            client.send(sendOf(group, "at-limit", LIMIT));
            String ack = client.next("MESSAGE", WAIT);
            assertThat(ack).as("ack over " + transport).contains("\"clientMessageId\":\"at-limit\"");
            assertThat(ack).contains("\"status\":413");
            // and the connection goes on
            client.send(send(group, "after", "still here"));
            assertThat(client.next("MESSAGE", WAIT))
                    .contains("\"clientMessageId\":\"after\"")
                    .contains("\"seq\":");

            // one byte more: an ERROR frame naming the limit comes first
            client.send(sendOf(group, "past-limit", LIMIT + 1));
            List<String> seen = untilErrorOrClose(client);
            assertThat(seen).as("frames over " + transport).isNotEmpty();
            assertThat(seen.get(seen.size() - 1)).startsWith("ERROR").contains(Integer.toString(LIMIT));
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Transport.class,
            names = {"SOCKJS_WEBSOCKET", "SOCKJS_XHR"})
    void aSockJsMessageNoFrameWithinTheLimitCouldBeIsAnErrorThenAClose(Transport transport) throws Exception {
        try (TransportClient client = connected(transport, port, alice)) {
            client.send(sendOf(group, "huge", 7 * LIMIT));

            List<String> seen = untilErrorOrClose(client);
            assertThat(seen.get(seen.size() - 1)).startsWith("ERROR").contains(Integer.toString(LIMIT));
            assertThat(client.next(TransportClient.CLOSED, WAIT)).isNotNull();
            assertThat(client.closeCode).isEqualTo(1009);
        }
    }

    @Test
    void anErrorSentWhileNoPollWasWaitingComesWithTheCloseOnTheNextPoll() throws Exception {
        // polled by hand, so that no poll waits when the ERROR frame is sent
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://localhost:" + port + "/ws/000/"
                + UUID.randomUUID().toString().substring(0, 8);
        assertThat(post(http, base + "/xhr", null)).startsWith("o");
        post(
                http,
                base + "/xhr_send",
                TransportClient.encode(
                        "CONNECT\naccept-version:1.2\nheart-beat:0,0\nAuthorization:Bearer " + alice + "\n\n"));
        assertThat(post(http, base + "/xhr", null)).startsWith("a").contains("CONNECTED");

        post(http, base + "/xhr_send", TransportClient.encode(sendOf(group, "huge", 7 * LIMIT)));

        String next = post(http, base + "/xhr", null);
        assertThat(next).startsWith("a").contains("ERROR").contains(Integer.toString(LIMIT));
        assertThat(next).contains("c[1009,");
        assertThat(post(http, base + "/xhr", null)).startsWith("c[3000,");
    }

    private static String post(HttpClient http, String uri, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri)).timeout(WAIT);
        request.POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void everyFrameThatAsksForAReceiptGetsOne(Transport transport) throws Exception {
        long head = api.call("GET", "/api/groups/" + group, alice, null)
                .body()
                .get("lastSeq")
                .asLong();
        try (TransportClient client = connected(transport, port, alice)) {
            // a group topic's: once registered, with the seq it continues after
            client.send("SUBSCRIBE\nid:g\ndestination:/topic/groups." + group + "\nreceipt:r-sub\n\n");
            String subscribed = client.next("RECEIPT", WAIT);
            assertThat(subscribed).contains("receipt-id:r-sub").contains("chorus-seq:" + head);

            client.send("SUBSCRIBE\nid:t\ndestination:/topic/groups." + group + ".typing\nreceipt:r-typing\n\n");
            assertThat(client.next("RECEIPT", WAIT)).contains("receipt-id:r-typing");
            client.send("SEND\ndestination:/app/groups." + group + ".typing\nreceipt:r-type\n\n{}");
            assertThat(client.next("RECEIPT", WAIT)).contains("receipt-id:r-type");
            client.send(send(group, "rcpt", "with a receipt").replace("\n\n", "\nreceipt:r-send\n\n"));
            assertThat(client.next("RECEIPT", WAIT)).contains("receipt-id:r-send");
            client.send("UNSUBSCRIBE\nid:t\nreceipt:r-unsub\n\n");
            assertThat(client.next("RECEIPT", WAIT)).contains("receipt-id:r-unsub");
            client.send("DISCONNECT\nreceipt:r-bye\n\n");
            assertThat(client.next("RECEIPT", WAIT)).contains("receipt-id:r-bye");
        }
    }

    @Test
    void aLiveSubscriptionOnAColdNodeMissesNothingCommittedAfterItsSubscribeArrived() throws Exception {
        try (SecondNode cold = new SecondNode()) {
            int coldPort = cold.port();
            for (int round = 0; round < 40; round++) {
                // a new member joins, subscribes without from-seq on an open connection and sends at once
                String user =
                        "cold-" + round + "-" + UUID.randomUUID().toString().substring(0, 4);
                String token = api.token(user);
                assertThat(api.post(token, "/api/groups/" + group + "/join", null)
                                .status())
                        .isEqualTo(200);
                try (TransportClient client = connected(Transport.WEBSOCKET, coldPort, token)) {
                    client.send("SUBSCRIBE\nid:g\ndestination:/topic/groups." + group + "\nreceipt:r\n\n");
                    client.send(send(group, "m", "round " + round));

                    // then the message sent after the SUBSCRIBE arrives on the topic, whatever the check took,
                    // after the RECEIPT (the ack of the send may come before or after it)
                    String receipt = null;
                    String event = null;
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    while (event == null && System.nanoTime() < deadline) {
                        String frame = client.next(Duration.ofMillis(200));
                        if (frame == null) {
                            continue;
                        }
                        if (frame.startsWith("RECEIPT")) {
                            receipt = frame;
                        } else if (frame.startsWith("MESSAGE") && frame.contains("subscription:g")) {
                            event = frame;
                        }
                    }
                    assertThat(receipt).as("receipt, round " + round).isNotNull();
                    assertThat(event).as("event, round " + round).contains("\"text\":\"round " + round + "\"");

                    // and a REST send after the RECEIPT arrives as well
                    api.post(
                            alice,
                            "/api/groups/" + group + "/messages",
                            Map.of("clientMessageId", "r" + round, "text", "rest " + round));
                    String rest;
                    do {
                        rest = client.next("MESSAGE", WAIT);
                    } while (rest != null && !rest.contains("subscription:g"));
                    assertThat(rest).as("round " + round).contains("\"text\":\"rest " + round + "\"");
                }
            }
        }
    }
}
