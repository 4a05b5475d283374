package io.chorus.app.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chorus.app.Api;
import io.chorus.app.Api.Response;
import io.chorus.app.ChorusIT;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

/**
 * Hostile clients against the whole app: a foreign Origin, more sessions than a user may hold, a token that
 * expires mid-session, a {@code selector} header, and random bytes and random JSON at the STOMP endpoint and every
 * REST endpoint for a bounded time. Each gets a clear refusal, nothing is stored, and a bystander's subscription
 * keeps working.
 */
@ChorusIT
@TestPropertySource(
        properties = {
            "chorus.push.allowed-origins=http://chat.example",
            "chorus.push.max-sessions-per-user=3",
            "chorus.push.max-subscriptions-per-session=5",
            "chorus.push.catch-up-held-limit=5",
            "chorus.events.max-waiting-polls=3"
        })
class HostileInputIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration FUZZ_TIME = Duration.ofSeconds(8);

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    Api api;
    String alice;
    String group;
    StompClient bystanderClient;
    List<StompClient.Frame> bystander;

    @BeforeEach
    void setUp() throws Exception {
        api = new Api(port);
        alice = api.token("alice");
        group = "hostile-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "Hostile");
        // the bystander is a user of its own, so the hostile sessions' per-user limit never touches it
        String bob = api.token("bob");
        assertThat(api.post(bob, "/api/groups/" + group + "/join", null).status())
                .isEqualTo(200);
        bystanderClient = new StompClient(port);
        bystander = bystanderClient.connect(bob).subscribe(group, 0L);
        await().atMost(Duration.ofSeconds(10)).until(() -> bystander.size() == 2);
    }

    @AfterEach
    void bystanderIsUnaffected() {
        // a message sent after the hostile traffic still reaches the bystander, in order
        Response sent = api.post(
                alice, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "after", "text", "still here"));
        assertThat(sent.status()).isEqualTo(201);
        long seq = sent.body().get("seq").asLong();
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() ->
                        assertThat(bystander.get(bystander.size() - 1).seq()).isEqualTo(seq));
        assertThat(bystander.stream().map(StompClient.Frame::seq).toList())
                .isSortedAccordingTo(Long::compare)
                .doesNotHaveDuplicates();
        bystanderClient.close();
    }

    @Test
    void aHandshakeFromAForeignOriginIsRefused() throws IOException {
        assertThatThrownBy(() -> RawStomp.open(port, 0, "http://evil.example"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("403");
        try (RawStomp allowed = RawStomp.open(port, 0, "http://chat.example")) {
            allowed.sendFrame(connect(alice));
            assertThat(allowed.readUntil("\0")).startsWith("CONNECTED");
        }
    }

    @Test
    void oneSessionMoreThanAUserMayHoldIsRefusedAndAdmittedOnceOneCloses() throws IOException {
        String mallory = api.token("mallory");
        List<RawStomp> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawStomp session = RawStomp.open(port);
                sessions.add(session);
                session.sendFrame(connect(mallory));
                assertThat(session.readUntil("\0")).startsWith("CONNECTED");
            }

            // when a fourth comes
            try (RawStomp fourth = RawStomp.open(port)) {
                fourth.sendFrame(connect(mallory));

                // then
                assertThat(fourth.readUntil("\0")).startsWith("ERROR").contains("too many sessions of user mallory");
                assertThat(fourth.closedWithin(Duration.ofSeconds(5))).isTrue();
            }

            // and once one of the three is gone, a new one is let in
            sessions.remove(0).close();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                try (RawStomp again = RawStomp.open(port)) {
                    again.sendFrame(connect(mallory));
                    assertThat(again.readUntil("\0")).startsWith("CONNECTED");
                }
            });
        } finally {
            for (RawStomp session : sessions) {
                session.close();
            }
        }
    }

    @Test
    void aSecondConnectAsAnotherUserIsRefusedAndLeavesNoSlotBehind() throws IOException {
        // given a session of mallory's that tries to become trent's
        String mallory = api.token("mallory");
        String trent = api.token("trent");
        try (RawStomp session = RawStomp.open(port)) {
            session.sendFrame(connect(mallory));
            assertThat(session.readUntil("\0")).startsWith("CONNECTED");
            session.sendFrame(connect(trent));

            // then it is refused and closed
            assertThat(session.readUntil("\0")).startsWith("ERROR");
            assertThat(session.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
        // and mallory still has all three of her sessions to open
        List<RawStomp> sessions = new ArrayList<>();
        try {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                sessions.forEach(HostileInputIT::closeQuietly);
                sessions.clear();
                for (int i = 0; i < 3; i++) {
                    RawStomp again = RawStomp.open(port);
                    sessions.add(again);
                    again.sendFrame(connect(mallory));
                    assertThat(again.readUntil("\0")).startsWith("CONNECTED");
                }
            });
        } finally {
            sessions.forEach(HostileInputIT::closeQuietly);
        }
    }

    @Test
    void oneSubscriptionMoreThanASessionMayHoldIsRefused() throws IOException {
        try (RawStomp session = RawStomp.open(port)) {
            // given a session with five subscriptions, of every kind of destination
            session.sendFrame(connect(alice));
            assertThat(session.readUntil("\0")).startsWith("CONNECTED");
            List<String> destinations = List.of(
                    "/user/queue/acks",
                    "/user/queue/errors",
                    "/topic/groups." + group,
                    "/topic/groups." + group + ".typing",
                    "/topic/groups." + group + ".typing");
            for (int i = 0; i < destinations.size(); i++) {
                session.sendFrame("SUBSCRIBE\nid:s-" + i + "\ndestination:" + destinations.get(i) + "\n\n");
            }
            // an unsubscribe frees its place
            session.sendFrame("UNSUBSCRIBE\nid:s-4\n\n");
            session.sendFrame("SUBSCRIBE\nid:s-5\ndestination:/topic/groups." + group + ".typing\n\n");

            // when it asks for a sixth
            session.sendFrame("SUBSCRIBE\nid:s-6\ndestination:/user/queue/acks\n\n");

            // then it is refused with the limit named, and closed
            String error;
            do {
                error = session.readUntil("\0");
            } while (!error.startsWith("ERROR"));
            assertThat(error).contains("too many subscriptions").contains("at most 5");
            assertThat(session.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void aCatchUpThatFallsFarBehindLiveEventsReadsThemFromTheStoreInOrder() throws Exception {
        // given a subscriber resuming from the group's start while another user sends (the node holds back only 5
        // live events per catching-up subscription here)
        for (int i = 0; i < 200; i++) {
            api.post(alice, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "old-" + i, "text", "o"));
        }
        ExecutorService sender = Executors.newSingleThreadExecutor();
        try (StompClient client = new StompClient(port)) {
            Future<?> sending = sender.submit(() -> {
                for (int i = 0; i < 100; i++) {
                    api.post(
                            alice,
                            "/api/groups/" + group + "/messages",
                            Map.of("clientMessageId", "live-" + i, "text", "l"));
                }
            });
            List<StompClient.Frame> frames = client.connect(api.token("bob")).subscribe(group, 0L);
            sending.get(60, TimeUnit.SECONDS);
            // created, bob joined, then the sends
            long last = 2 + 200 + 100;

            // then it has every event once, in order
            await().atMost(Duration.ofSeconds(30)).until(() -> frames.size() >= last);
            assertThat(frames.stream().map(StompClient.Frame::seq).toList())
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, last)
                            .boxed()
                            .toList());
        } finally {
            sender.shutdownNow();
        }
    }

    private static void closeQuietly(RawStomp session) {
        try {
            session.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void framesBeforeConnectAreRefusedWithoutAStackTrace(CapturedOutput output) throws IOException {
        for (String frame : List.of(
                "SEND\ndestination:/app/groups." + group + ".messages\ncontent-type:application/json\n\n"
                        + "{\"clientMessageId\":\"early\",\"text\":\"before connect\"}",
                "SUBSCRIBE\nid:s-1\ndestination:/topic/groups." + group + "\n\n",
                "UNSUBSCRIBE\nid:s-1\n\n")) {
            try (RawStomp session = RawStomp.open(port)) {
                session.sendFrame(frame);
                // Spring's STOMP handler answers some of these itself ("Unknown session"), Chorus's check the rest
                assertThat(session.readUntil("\0")).startsWith("ERROR");
                assertThat(session.closedWithin(Duration.ofSeconds(5))).isTrue();
            }
        }
        assertThat(output.getOut()).doesNotContain("\tat ").doesNotContain("NullPointerException");
    }

    /** Sends a request's head by hand and reads the status line of the answer, within {@code timeout}. */
    private String statusOfHeadOnly(String head, Duration timeout) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
        }
    }

    @Test
    void aTwentyMegabyteBodyIs413BeforeItIsSent() throws IOException {
        // when a client declares a 20 MB body and sends only the head of its request
        String status = statusOfHeadOnly(
                "POST /api/groups/" + group + "/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + alice
                        + "\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n",
                Duration.ofSeconds(10));

        // then the answer comes without waiting for the body (a read of it would time out here)
        assertThat(status).startsWith("HTTP/1.1 413");
        // and an unauthenticated one is refused the same way: the limit comes before the token is checked
        assertThat(statusOfHeadOnly(
                        "POST /api/groups HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20000000\r\n\r\n",
                        Duration.ofSeconds(10)))
                .startsWith("HTTP/1.1 413");
    }

    @Test
    void aChunkedBodyOverTheLimitIs413AndStoresNothing() throws Exception {
        // a body without a declared length: counted while it is read
        long before = lastSeq();
        String text = "x".repeat(70_000);
        byte[] body = ("{\"clientMessageId\":\"chunked\",\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/groups/" + group + "/messages"))
                        .header("Authorization", "Bearer " + alice)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).contains("larger than the limit of 65536 bytes");
        assertThat(lastSeq()).isEqualTo(before);
    }

    @Test
    void deeplyNestedJsonIs400NamingTheLimit() {
        long before = lastSeq();
        // 40 levels of arrays in a field the API does not read, past the nesting limit of 32
        Response deep = api.call(
                "POST",
                "/api/groups/" + group + "/messages",
                alice,
                Map.of("clientMessageId", "deep", "text", "deep", "extra", nested(40)));

        assertThat(deep.status()).isEqualTo(400);
        assertThat(deep.detail()).contains("exceeds a limit").contains("nesting depth");
        assertThat(lastSeq()).isEqualTo(before);
    }

    private static Object nested(int depth) {
        Object value = "x";
        for (int i = 0; i < depth; i++) {
            value = List.of(value);
        }
        return value;
    }

    private long lastSeq() {
        return api.call("GET", "/api/groups/" + group, alice, null)
                .body()
                .get("lastSeq")
                .asLong();
    }

    /** Request threads now inside the event poll's handler (a waiting long poll must not be one). */
    private static long threadsInEventPolls() {
        return Thread.getAllStackTraces().values().stream()
                .filter(stack -> List.of(stack).stream()
                        .anyMatch(frame -> frame.getClassName().endsWith("EventStreamController")))
                .count();
    }

    @Test
    void longPollsWaitWithoutARequestThreadAndOneMoreThanTheNodeHoldsIs503() throws Exception {
        String integrator = api.token("etl", "chorus:integrator");
        // the stream's end: read on until a page comes back empty
        String head = null;
        while (true) {
            Response page = api.call(
                    "GET", "/api/events?limit=1000" + (head == null ? "" : "&after=" + head), integrator, null);
            head = page.body().get("next").asText();
            if (page.body().get("events").isEmpty()) {
                break;
            }
        }
        String end = head;
        String other = "quiet-" + UUID.randomUUID().toString().substring(0, 8);
        ExecutorService clients = Executors.newFixedThreadPool(3);
        try {
            // given three long polls waiting on the node, two for this test's group, one for a group that stays
            // quiet (other tests' stragglers may still commit events: none of these polls wakes for them)
            List<Future<Response>> waiting = new ArrayList<>();
            for (String filter : List.of("&groupId=" + group, "&groupId=" + group, "&groupId=" + other)) {
                waiting.add(clients.submit(
                        () -> api.call("GET", "/api/events?wait=8&after=" + end + filter, integrator, null)));
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() ->
                            meters.get("chorus.events.waiting.polls").gauge().value() == 3);

            // then none of them holds a request thread, and a fourth is refused at once, saying why
            assertThat(threadsInEventPolls()).isZero();
            Response refused = api.call("GET", "/api/events?wait=8&after=" + end, integrator, null);
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(refused.detail()).contains("3 waiting polls");
            // while a poll without wait is answered as ever
            assertThat(api.call("GET", "/api/events?after=" + end, integrator, null)
                            .status())
                    .isEqualTo(200);

            // when a message is sent, the two polls of its group answer with it at once
            long seq = api.post(
                            alice, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "lp", "text", "lp"))
                    .body()
                    .get("seq")
                    .asLong();
            for (Future<Response> poll : waiting.subList(0, 2)) {
                Response answer = poll.get(5, TimeUnit.SECONDS);
                assertThat(answer.status()).isEqualTo(200);
                assertThat(answer.body().get("events").toString()).contains("\"seq\":" + seq);
            }
            // and the filtered one answers at its deadline with nothing, past what it looked at
            Response quiet = waiting.get(2).get(15, TimeUnit.SECONDS);
            assertThat(quiet.status()).isEqualTo(200);
            assertThat(quiet.body().get("events")).isEmpty();
            assertThat(quiet.body().get("next").asText()).isNotEqualTo(end);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void aSessionEndsWhenItsTokenExpires() throws IOException {
        // given a session whose token expires in three seconds
        String shortLived = StompPushIT.token("alice", Instant.now().plusSeconds(3));
        try (RawStomp session = RawStomp.open(port)) {
            session.sendFrame(connect(shortLived));
            assertThat(session.readUntil("\0")).startsWith("CONNECTED");
            session.sendFrame("SUBSCRIBE\nid:s-1\ndestination:/topic/groups." + group + "\n\n");

            // then it is told so and closed
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(session.readUntil("\0"))
                            .startsWith("ERROR")
                            .contains("token expired"));
            assertThat(session.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void aSelectorHeaderIsRefused() throws IOException {
        for (String destination : List.of("/topic/groups." + group + ".typing", "/topic/groups." + group)) {
            try (RawStomp session = RawStomp.open(port)) {
                session.sendFrame(connect(alice));
                assertThat(session.readUntil("\0")).startsWith("CONNECTED");
                session.sendFrame("SUBSCRIBE\nid:s-1\ndestination:" + destination
                        + "\nselector:T(java.lang.Runtime).getRuntime().exec('true')\n\n");
                assertThat(session.readUntil("\0")).startsWith("ERROR").contains("selector header is not supported");
                assertThat(session.closedWithin(Duration.ofSeconds(5))).isTrue();
            }
        }
    }

    @Test
    void controlCharactersAndInvalidUtf8InATextAreRefusedAndStoreNothing() throws Exception {
        // given
        String before = streamHead();
        String messages = "http://localhost:" + port + "/api/groups/" + group + "/messages";

        // when texts with control characters, a lone surrogate and bytes that are not UTF-8 are sent by REST
        List<byte[]> bodies = new ArrayList<>();
        // (as JSON escapes: a raw control character inside a JSON string is malformed JSON, refused as such)
        for (String text :
                List.of("a\\u0000b", "bell\\u0007", "\\u001b[31mred", "lone \\ud800 surrogate", "a\u0000b")) {
            bodies.add(("{\"clientMessageId\":\"c-" + bodies.size() + "\",\"text\":\"" + text + "\"}")
                    .getBytes(StandardCharsets.UTF_8));
        }
        byte[] notUtf8 = withInvalidUtf8("{\"text\":\"a", "b\",\"clientMessageId\":\"x\"}");
        bodies.add(notUtf8);

        // then each is a 400 problem detail (naming the text where the JSON itself was readable)
        for (byte[] body : bodies) {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create(messages))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                            .header("Content-Type", "application/json")
                            .header("Authorization", "Bearer " + alice)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            String shown = new String(body, StandardCharsets.ISO_8859_1);
            assertThat(response.statusCode()).as(shown).isEqualTo(400);
            assertThat(response.headers().firstValue("Content-Type").orElse(""))
                    .as(shown)
                    .startsWith("application/problem+json");
            if (body != notUtf8 && !shown.contains("\u0000")) {
                assertThat(response.body()).as(shown).contains("\"field\":\"text\"");
            }
        }

        // and over STOMP: a control character gets an error ack naming the text, the connection stays
        try (StompClient client = new StompClient(port)) {
            StompClient.Connection connection = client.connect(alice);
            connection.subscribeAcks();
            connection.send(group, "stomp-control", "a\u0000b");
            await().atMost(Duration.ofSeconds(10)).until(() -> !connection.acks.isEmpty());
            assertThat(connection.acks.get(0).at("/error/status").asInt()).isEqualTo(400);
            assertThat(connection.acks.get(0).at("/error/detail").asText()).contains("text");
            assertThat(connection.connected()).isTrue();
        }
        // and a WebSocket text message that is not UTF-8 ends that connection (RFC 6455: close 1007)
        try (RawStomp session = RawStomp.open(port)) {
            session.sendFrame(connect(alice));
            assertThat(session.readUntil("\0")).startsWith("CONNECTED");
            session.sendText(withInvalidUtf8(
                    "SEND\ndestination:/app/groups." + group + ".messages\n\n{\"clientMessageId\":\"w\",\"text\":\"a",
                    "\"}\0"));
            assertThat(session.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
        assertThat(streamHead()).isEqualTo(before);
    }

    @Test
    void aSlowSubscriberThatBreaksTheRulesGetsWhatWasQueuedThenTheErrorFrame() throws Exception {
        // given messages of 4,000 characters streaming to the group, so that frames are being written to its
        // subscribers all the time
        AtomicBoolean streaming = new AtomicBoolean(true);
        ExecutorService sender = Executors.newSingleThreadExecutor();
        Future<Integer> sent = sender.submit(() -> {
            int n = 0;
            while (streaming.get()) {
                Response answer = api.post(
                        alice,
                        "/api/groups/" + group + "/messages",
                        Map.of("clientMessageId", "stream-" + n, "text", "x".repeat(3990) + n));
                assertThat(answer.status()).isEqualTo(201);
                n++;
            }
            return n;
        });
        try {
            // when a subscriber of that stream that reads slowly (a 4 KB receive buffer, so the server's writes to it
            // block) breaks the rules, a few times
            for (int attempt = 0; attempt < 5; attempt++) {
                try (RawStomp session = RawStomp.open(port, 4096)) {
                    session.sendFrame(connect(alice));
                    assertThat(session.readUntil("\0")).startsWith("CONNECTED");
                    session.sendFrame("SUBSCRIBE\nid:s-1\ndestination:/topic/groups." + group + "\n\n");
                    assertThat(session.readUntil("\0")).startsWith("MESSAGE");
                    // not reading for a moment: the buffers fill and a write to this session is under way
                    LockSupport.parkNanos(Duration.ofMillis(1500).toNanos());
                    session.sendFrame("SEND\ndestination:/topic/groups." + group + "\n\n{}");

                    // then each time the messages queued for it come, then the ERROR frame, then the close (the case of
                    // another thread writing at that moment is FlushBeforeCloseTest's)
                    String frame;
                    do {
                        frame = session.readUntil("\0");
                    } while (frame.startsWith("MESSAGE"));
                    assertThat(frame).as("attempt %d", attempt).startsWith("ERROR");
                }
            }
        } finally {
            streaming.set(false);
            sender.shutdown();
        }
        assertThat(sent.get(30, TimeUnit.SECONDS)).isPositive();
    }

    @Test
    void randomBytesAndFramesAtTheStompEndpointStoreNothingAndBreakNothing() throws Exception {
        // given
        String before = streamHead();
        Random random = new Random(42);
        long deadline = System.nanoTime() + FUZZ_TIME.toNanos();
        int attempts = 0;

        // when raw connections send random bytes, random frames, and random frames after a valid CONNECT
        while (System.nanoTime() < deadline) {
            try (RawStomp session = RawStomp.open(port)) {
                // a frame without its end leaves the server waiting for more: do not wait with it
                session.readTimeout(Duration.ofMillis(500));
                session.sendText(
                        switch (attempts % 3) {
                            case 0 -> randomBytes(random);
                            case 1 -> randomFrame(random).getBytes(StandardCharsets.UTF_8);
                            default -> {
                                session.sendFrame(connect(alice));
                                session.readUntil("\0");
                                yield randomFrame(random).getBytes(StandardCharsets.UTF_8);
                            }
                        });
                session.closedWithin(Duration.ofMillis(200));
            } catch (IOException e) {
                // a refused or reset connection is a fine answer to garbage
            }
            attempts++;
        }

        // then nothing was stored and the server serves on
        assertThat(attempts).isGreaterThan(20);
        assertThat(streamHead()).isEqualTo(before);
        assertThat(api.call("GET", "/actuator/health", null, null).status()).isEqualTo(200);
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void randomJsonAndBytesAtEveryRestEndpointAreRefusedWithProblemDetailsAndStoreNothing(CapturedOutput log)
            throws Exception {
        // given a user who belongs to no group, and group ids that do not exist
        String mallory = api.token("mallory");
        String before = streamHead();
        Random random = new Random(7);
        String[][] endpoints = {
            {"POST", "/api/groups"},
            {"POST", "/api/groups/{g}/join"},
            {"POST", "/api/groups/{g}/leave"},
            {"POST", "/api/groups/{g}/members"},
            {"DELETE", "/api/groups/{g}/members/{u}?ban={x}"},
            {"DELETE", "/api/groups/{g}/bans/{u}"},
            {"PUT", "/api/groups/{g}/members/{u}/role"},
            {"GET", "/api/groups/{g}"},
            {"GET", "/api/me/groups"},
            {"POST", "/api/groups/{g}/messages"},
            {"GET", "/api/groups/{g}/messages?after={x}&limit={x}"},
            {"GET", "/api/groups/{g}/messages?before={x}"},
            {"PATCH", "/api/groups/{g}/messages/{x}"},
            {"DELETE", "/api/groups/{g}/messages/{x}"},
            {"POST", "/api/groups/{g}/read"},
            {"GET", "/api/events?after={x}&limit={x}"},
            {"POST", "/api/admin/projections/{x}/replay"}
        };
        long deadline = System.nanoTime() + FUZZ_TIME.toNanos();
        int calls = 0;
        List<String> serverErrors = new ArrayList<>();

        // when
        while (System.nanoTime() < deadline) {
            String[] endpoint = endpoints[random.nextInt(endpoints.length)];
            String path = endpoint[1]
                    .replace("{g}", "nope-" + random.nextInt(1_000_000))
                    .replace("{u}", random.nextBoolean() ? "bob" : "%00%ff")
                    .replace("{x}", cursor(random));
            byte[] body = random.nextInt(4) == 0
                    ? randomBytes(random)
                    : randomJson(random).getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> response;
            try {
                response = HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                                .method(endpoint[0], HttpRequest.BodyPublishers.ofByteArray(body))
                                .header("Content-Type", "application/json")
                                .header("Authorization", "Bearer " + mallory)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IllegalArgumentException e) {
                continue; // a path the HTTP client itself refuses to send
            }
            calls++;
            if (response.statusCode() >= 500) {
                serverErrors.add(endpoint[0] + " " + path + " → " + response.statusCode() + " " + response.body());
            } else if (response.statusCode() >= 400 || !endpoint[0].equals("GET")) {
                // a read may find nothing wrong (an empty page); anything else is refused, as a problem detail
                assertThat(response.statusCode()).as("%s %s", endpoint[0], path).isBetween(400, 499);
                assertThat(response.headers().firstValue("Content-Type").orElse(""))
                        .as("%s %s", endpoint[0], path)
                        .startsWith("application/problem+json");
            }
        }

        // then
        assertThat(calls).isGreaterThan(50);
        assertThat(serverErrors).isEmpty();
        assertThat(streamHead()).isEqualTo(before);
        // and the log holds no stack trace for them
        assertThat(log.getAll()).doesNotContain("AggregateNotFoundException").doesNotContain("\tat org.");
    }

    private static String connect(String token) {
        return "CONNECT\naccept-version:1.2\nhost:localhost\nAuthorization:Bearer " + token + "\n\n";
    }

    /** The event stream's position after its last event: unchanged if and only if nothing was stored. */
    private String streamHead() {
        return api.events(api.token("etl", "chorus:integrator"), "").next();
    }

    /** {@code before}, then bytes that are not UTF-8 (a lead byte without its continuation, and 0xFF), then {@code after}. */
    private static byte[] withInvalidUtf8(String before, String after) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(before.getBytes(StandardCharsets.UTF_8));
        bytes.writeBytes(new byte[] {(byte) 0xC3, '(', (byte) 0xFF});
        bytes.writeBytes(after.getBytes(StandardCharsets.UTF_8));
        return bytes.toByteArray();
    }

    private static byte[] randomBytes(Random random) {
        byte[] bytes = new byte[1 + random.nextInt(300)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static final String[] COMMANDS = {
        "CONNECT",
        "SEND",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "ACK",
        "NACK",
        "BEGIN",
        "COMMIT",
        "ABORT",
        "DISCONNECT",
        "STOMP",
        "MESSAGE",
        "ERROR",
        "",
        "X\u0000Y"
    };
    private static final String[] HEADERS = {
        "destination",
        "id",
        "receipt",
        "content-length",
        "from-seq",
        "selector",
        "Authorization",
        "heart-beat",
        "accept-version",
        "content-type",
        ""
    };

    private static String randomFrame(Random random) {
        StringBuilder frame = new StringBuilder(COMMANDS[random.nextInt(COMMANDS.length)]).append('\n');
        for (int i = random.nextInt(5); i > 0; i--) {
            frame.append(HEADERS[random.nextInt(HEADERS.length)])
                    .append(random.nextBoolean() ? ":" : "")
                    .append(randomText(random))
                    .append('\n');
        }
        frame.append('\n').append(randomText(random));
        return random.nextBoolean() ? frame.append('\0').toString() : frame.toString();
    }

    private static String randomText(Random random) {
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(40); i > 0; i--) {
            text.append((char) (random.nextBoolean() ? 32 + random.nextInt(95) : random.nextInt(0x3000)));
        }
        return text.toString();
    }

    /** Random JSON that never names the field a successful request of these endpoints needs first. */
    private static String randomJson(Random random) {
        String[] keys = {"text", "role", "userId", "seq", "visibility", "groupId", "replyToSeq", "scopes", "x", ""};
        StringBuilder json = new StringBuilder("{");
        for (int i = random.nextInt(4); i > 0; i--) {
            json.append('"')
                    .append(keys[random.nextInt(keys.length)])
                    .append("\":")
                    .append(randomValue(random, 0));
            if (i > 1) {
                json.append(',');
            }
        }
        String text = json.append('}').toString();
        return random.nextInt(5) == 0 ? text.substring(0, random.nextInt(text.length())) : text;
    }

    private static String randomValue(Random random, int depth) {
        return switch (random.nextInt(depth > 1 ? 5 : 7)) {
            case 0 -> Long.toString(random.nextLong());
            case 1 -> "\"" + randomText(random).replace("\\", "").replace("\"", "") + "\"";
            case 2 -> random.nextBoolean() ? "true" : "null";
            case 3 -> "1e999";
            case 4 -> "-0.5";
            case 5 -> "[" + randomValue(random, depth + 1) + "]";
            default -> "{\"a\":" + randomValue(random, depth + 1) + "}";
        };
    }

    private static String cursor(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> "-1";
            case 1 -> "99999999999999999999";
            case 2 -> "abc";
            case 3 -> "%20";
            default -> Long.toString(random.nextInt(1000));
        };
    }
}
