package io.chorus.app.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import io.chorus.app.push.StompClient.Connection;
import io.chorus.app.push.StompClient.Frame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;
import org.springframework.security.oauth2.jwt.NimbusJwtEncoder;
import org.springframework.util.MimeTypeUtils;

/**
 * The STOMP endpoint over real WebSockets against the whole app: authentication, authorization, live fan-out in seq
 * order, resume and resync, revocation on removal, acks.
 */
@ChorusIT
class StompPushIT {

    /** application-it.yml's {@code chorus.push.replay-limit}. */
    static final int REPLAY_LIMIT = 800;

    static final String ACKS = "/user/queue/acks";

    @LocalServerPort
    int port;

    Api api;
    StompClient stomp;
    String alice;
    String bob;
    String group;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        stomp = new StompClient(port);
        alice = api.token("alice");
        bob = api.token("bob");
        group = "push-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "P");
    }

    @AfterEach
    void tearDown() {
        stomp.close();
    }

    private long sendRest(String token, String clientMessageId, String text) {
        Api.Response sent = api.post(
                token, "/api/groups/" + group + "/messages", Map.of("clientMessageId", clientMessageId, "text", text));
        assertThat(sent.status()).as(sent.body().toString()).isIn(200, 201);
        return sent.body().get("seq").asLong();
    }

    private static List<Long> seqs(List<Frame> frames) {
        return frames.stream().map(Frame::seq).toList();
    }

    private static List<Long> range(long first, long last) {
        return LongStream.rangeClosed(first, last).boxed().toList();
    }

    @Test
    void connectWithoutAValidTokenGetsAnErrorAndTheSocketCloses() {
        String expired = token("alice", Instant.now().minusSeconds(3600));
        String neverExpires = token("alice", null);
        for (String token : new String[] {null, "not-a-jwt", alice + "x", expired, neverExpires}) {
            // given a CONNECT with no, a malformed, a forged, an expired or a never expiring token
            StompClient.Connection[] connection = new StompClient.Connection[1];
            // when / then
            assertThatThrownBy(() -> connection[0] = stomp.connect(token))
                    .as("token %s", token)
                    .isInstanceOf(Exception.class);
        }
    }

    @Test
    void theErrorOfARefusedConnectNamesTheReason() throws Exception {
        // given a raw WebSocket, which sees the ERROR frame itself
        try (RawStomp raw = RawStomp.open(port)) {
            // when
            raw.sendFrame("CONNECT\naccept-version:1.2\nAuthorization:Bearer "
                    + token("alice", Instant.now().minusSeconds(3600)) + "\n\n");
            // then
            String error = raw.readUntil("\0");
            assertThat(error)
                    .startsWith("ERROR")
                    .contains("invalid or expired token")
                    .doesNotContain("at io.");
            assertThat(raw.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void aNonMemberCannotSubscribe() throws Exception {
        // given
        Connection carol = stomp.connect(api.token("carol"));
        // when
        carol.subscribe(group, null);
        // then
        await().atMost(Duration.ofSeconds(10)).until(() -> !carol.errors.isEmpty());
        assertThat(carol.errors.get(0)).contains("only members subscribe to group " + group);
        await().atMost(Duration.ofSeconds(5)).until(() -> !carol.connected());
    }

    @Test
    void acksGoToEveryAckSubscriptionOfTheSendingSessionOnlyUntilItUnsubscribes() throws Exception {
        // given a session of alice with two subscriptions to its acks, and another session of hers with one
        Connection sender = stomp.connect(alice);
        List<Frame> first = new CopyOnWriteArrayList<>();
        List<Frame> second = new CopyOnWriteArrayList<>();
        StompSession.Subscription firstSubscription = sender.subscribe(ACKS, null, first);
        StompSession.Subscription secondSubscription = sender.subscribe(ACKS, null, second);
        Connection other = stomp.connect(alice);
        other.subscribeAcks();

        // when the first session sends
        sender.send(group, "a-1", "hello");

        // then each of its ack subscriptions gets the ack, as a MESSAGE on the destination it subscribed to
        await().atMost(Duration.ofSeconds(10)).until(() -> first.size() == 1 && second.size() == 1);
        Frame ack = first.get(0);
        assertThat(ack.json().get("clientMessageId").asText()).isEqualTo("a-1");
        assertThat(ack.json().get("seq").asLong()).isEqualTo(sendRest(alice, "rest-1", "by REST") - 1);
        assertThat(ack.headers().getDestination()).isEqualTo(ACKS);
        assertThat(ack.headers().getContentType()).isEqualTo(MimeTypeUtils.APPLICATION_JSON);
        assertThat(ack.headers().getSubscription()).isEqualTo(firstSubscription.getSubscriptionId());
        assertThat(ack.headers().getMessageId()).isNotBlank();
        assertThat(second.get(0).headers().getSubscription()).isEqualTo(secondSubscription.getSubscriptionId());
        assertThat(second.get(0).body()).isEqualTo(ack.body());
        assertThat(second.get(0).headers().getMessageId())
                .isNotEqualTo(ack.headers().getMessageId());

        // when one subscription ends and the session sends twice more
        secondSubscription.unsubscribe();
        sender.send(group, "a-2", "again");
        sender.send(group, "a-3", "and again");

        // then only the other one gets those acks (a session's frames arrive in order: the last ack comes after all
        // earlier ones), and the other session of the same user got none of them
        await().atMost(Duration.ofSeconds(10)).until(() -> first.size() == 3);
        assertThat(first.stream().map(f -> f.json().get("clientMessageId").asText()))
                .containsExactly("a-1", "a-2", "a-3");
        assertThat(second).hasSize(1);
        assertThat(other.acks).isEmpty();
    }

    @Test
    void nobodySendsToATopicNorAsSomebodyElse() throws Exception {
        // given
        api.post(bob, "/api/groups/" + group + "/join", null);
        Connection watcher = stomp.connect(alice);
        List<Frame> frames = watcher.subscribe(group, 2L);
        Connection bobs = stomp.connect(bob);
        bobs.subscribeAcks();

        // when bob claims to be alice in the body
        bobs.session.send(
                "/app/groups." + group + ".messages",
                StompClient.json(Map.of("clientMessageId", "spoof", "text", "hi", "senderId", "alice")));
        // then the message is bob's
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 1);
        assertThat(frames.get(0).json().get("senderId").asText()).isEqualTo("bob");
        assertThat(bobs.acks.get(0).get("seq").asLong()).isEqualTo(3);

        // when a non-member sends, the ack says so and the connection stays
        Connection carol = stomp.connect(api.token("carol"));
        carol.subscribeAcks();
        carol.send(group, "c-1", "let me in");
        await().atMost(Duration.ofSeconds(10)).until(() -> !carol.acks.isEmpty());
        assertThat(carol.acks.get(0).get("clientMessageId").asText()).isEqualTo("c-1");
        assertThat(carol.acks.get(0).at("/error/status").asInt()).isEqualTo(403);
        assertThat(carol.connected()).isTrue();

        // when a member sends to the topic itself
        Connection alices = stomp.connect(alice);
        alices.session.send("/topic/groups." + group, "{\"text\":\"spoofed\"}");
        // then an ERROR, and nothing was stored
        await().atMost(Duration.ofSeconds(10)).until(() -> !alices.errors.isEmpty());
        assertThat(alices.errors.get(0)).contains("/app/");
        assertThat(sendRest(alice, "after", "after")).isEqualTo(4);
    }

    @Test
    void concurrentSendersOnSeveralConnectionsAreDeliveredOnceInSeqOrder() throws Exception {
        // given two subscribed connections and four sending ones
        api.post(bob, "/api/groups/" + group + "/join", null);
        List<Frame> first = stomp.connect(alice).subscribe(group, 2L);
        List<Frame> second = stomp.connect(bob).subscribe(group, 2L);
        List<Connection> senders = new ArrayList<>();
        for (String token : List.of(alice, bob, alice, bob)) {
            Connection sender = stomp.connect(token);
            sender.subscribeAcks();
            senders.add(sender);
        }

        // when each sends 50 messages at once
        int perSender = 50;
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < senders.size(); s++) {
            Connection sender = senders.get(s);
            String prefix = "s" + s + "-";
            threads.add(start(() -> {
                for (int i = 0; i < perSender; i++) {
                    sender.send(group, prefix + i, prefix + i);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }

        // then every send is acknowledged with its seq, and both subscribers get seq 3..202 once, in order
        int total = perSender * senders.size();
        for (Connection sender : senders) {
            await().atMost(Duration.ofSeconds(30)).until(() -> sender.acks.size() == perSender);
            assertThat(sender.acks).allMatch(ack -> ack.has("seq"));
        }
        for (List<Frame> frames : List.of(first, second)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> frames.size() >= total);
            assertThat(seqs(frames)).containsExactlyElementsOf(range(3, 2 + total));
            assertThat(frames).allMatch(f -> f.type().equals("MessageSent"));
        }
        assertThat(senders.stream()
                        .flatMap(s -> s.acks.stream())
                        .map(a -> a.get("seq").asLong()))
                .containsExactlyInAnyOrderElementsOf(range(3, 2 + total));
    }

    @Test
    void aFrameCarriesTheEventTypeTheSeqAndTheMessage() throws Exception {
        // given
        List<Frame> frames = stomp.connect(alice).subscribe(group, 0L);
        // when
        api.post(bob, "/api/groups/" + group + "/join", null);
        // not ASCII: event frames leave the node as the UTF-8 bytes it encoded (EncodedTextSession)
        long seq = sendRest(bob, "m-1", "héllo ✓ 😀");
        api.patch(bob, "/api/groups/" + group + "/messages/" + seq, Map.of("text", "hello!"));
        // then
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 4);
        assertThat(frames)
                .extracting(Frame::type)
                .containsExactly("GroupCreated", "MemberJoined", "MessageSent", "MessageEdited");
        assertThat(seqs(frames)).containsExactly(1L, 2L, 3L, 4L);
        JsonNode message = frames.get(2).json();
        assertThat(message.get("groupId").asText()).isEqualTo(group);
        assertThat(message.get("seq").asLong()).isEqualTo(3);
        assertThat(message.get("senderId").asText()).isEqualTo("bob");
        assertThat(message.get("text").asText()).isEqualTo("héllo ✓ 😀");
        assertThat(message.get("clientMessageId").asText()).isEqualTo("m-1");
        assertThat(message.get("deleted").asBoolean()).isFalse();
        assertThat(frames.get(2).headers().getContentType().toString()).startsWith("application/json");
    }

    @Test
    void aClientThatReconnectsGetsThe500ItMissedThenLiveOnesWhileOthersKeepSending() throws Exception {
        // given a subscriber that saw some messages and dropped its connection
        api.post(bob, "/api/groups/" + group + "/join", null);
        Connection first = stomp.connect(alice);
        List<Frame> before = first.subscribe(group, 2L);
        for (int i = 0; i < 10; i++) {
            sendRest(bob, "early-" + i, "early " + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> before.size() == 10);
        first.disconnect();
        long lastSeen = before.get(before.size() - 1).seq();

        // when bob keeps sending: 500 while alice is away, and more while she catches up
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicLong lastSent = new AtomicLong(lastSeen);
        Thread sender = start(() -> {
            for (int i = 0; sending.get(); i++) {
                lastSent.set(sendRest(bob, "late-" + i, "late " + i));
            }
        });
        await().atMost(Duration.ofSeconds(60)).until(() -> lastSent.get() >= lastSeen + 500);
        List<Frame> after = stomp.connect(alice).subscribe(group, lastSeen);
        await().atMost(Duration.ofSeconds(30)).until(() -> after.size() >= 520);
        sending.set(false);
        sender.join();

        // then exactly the events after the last one seen, once each, in order, up to the last one sent
        long last = lastSent.get();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !after.isEmpty() && after.get(after.size() - 1).seq() >= last);
        assertThat(seqs(after)).containsExactlyElementsOf(range(lastSeen + 1, last));
    }

    @Test
    void aResumeBeyondTheReplayLimitIsAnsweredWithResyncThenLiveEvents() throws Exception {
        // given more missed events than the server replays
        for (int i = 0; i < REPLAY_LIMIT + 50; i++) {
            sendRest(alice, "m-" + i, "m " + i);
        }
        long latest = 1 + REPLAY_LIMIT + 50;
        // when
        List<Frame> frames = stomp.connect(alice).subscribe(group, 1L);
        await().atMost(Duration.ofSeconds(10)).until(() -> !frames.isEmpty());
        long next = sendRest(alice, "live", "live");
        // then one resync frame with the latest seq, then live events only
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 2);
        Frame resync = frames.get(0);
        assertThat(resync.headers().getFirst("chorus-resync")).isEqualTo("true");
        assertThat(resync.json().get("latestSeq").asLong()).isEqualTo(latest);
        assertThat(frames.get(1).seq()).isEqualTo(next).isEqualTo(latest + 1);
    }

    @Test
    void aReplayOfTheProjectionsPushesNothing() throws Exception {
        // given a subscriber that has seen the group's messages
        List<Frame> frames = stomp.connect(alice).subscribe(group, 1L);
        for (int i = 0; i < 5; i++) {
            sendRest(alice, "before-" + i, "before " + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 5);

        // when both projections are rebuilt from the first event
        String admin = api.token("admin", "chorus:admin");
        for (String projection : List.of("history", "recent")) {
            assertThat(api.post(admin, "/api/admin/projections/" + projection + "/replay", null)
                            .status())
                    .isEqualTo(202);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                JsonNode all =
                        api.call("GET", "/api/admin/projections", admin, null).body();
                for (JsonNode p : all) {
                    if (!p.path("buildingSlot").isNull()
                            || !"live".equals(p.path("status").asText())) {
                        return false;
                    }
                }
                return true;
            });
        }
        long after = sendRest(alice, "after", "after");

        // then the subscriber got only the one new message: no event was pushed again
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() >= 6);
        assertThat(seqs(frames)).containsExactlyElementsOf(range(2, after));
    }

    @Test
    void aRemovedMemberLosesTheSubscriptionAtOnce() throws Exception {
        // given bob follows the group and its typing notices
        api.post(bob, "/api/groups/" + group + "/join", null);
        Connection bobs = stomp.connect(bob);
        List<Frame> bobFrames = bobs.subscribe(group, 2L);
        List<Frame> bobTyping = new CopyOnWriteArrayList<>();
        bobs.subscribe("/topic/groups." + group + ".typing", null, bobTyping);
        Connection alices = stomp.connect(alice);
        List<Frame> aliceFrames = alices.subscribe(group, 2L);
        List<Frame> aliceTyping = new CopyOnWriteArrayList<>();
        alices.subscribe("/topic/groups." + group + ".typing", null, aliceTyping);
        sendRest(alice, "before", "before");
        await().atMost(Duration.ofSeconds(10)).until(() -> bobFrames.size() == 1);
        // bob's typing SUBSCRIBE reaches the broker on its own thread: send until a notice gets through (at most one a
        // second passes, so a second one is sent only if the first was not routed to him)
        await().atMost(Duration.ofSeconds(10))
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(1100))
                .until(() -> {
                    if (bobTyping.isEmpty()) {
                        alices.session.send("/app/groups." + group + ".typing", "{}");
                    }
                    return !bobTyping.isEmpty();
                });
        int typingBeforeRemoval = bobTyping.size();

        // when alice removes bob and goes on
        assertThat(api.delete(alice, "/api/groups/" + group + "/members/bob").status())
                .isLessThan(300);
        long after = sendRest(alice, "after", "after");
        // typing notices pass at most once a second per connection and group
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(1100))
                .until(() -> {
                    alices.session.send("/app/groups." + group + ".typing", "{}");
                    return aliceTyping.size() >= 2;
                });
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !aliceFrames.isEmpty()
                        && aliceFrames.get(aliceFrames.size() - 1).seq() == after);

        // then bob got his removal and nothing after it, no typing notice either
        assertThat(bobFrames).extracting(Frame::type).containsExactly("MessageSent", "MemberRemoved");
        assertThat(bobTyping).hasSize(typingBeforeRemoval);
        // and he cannot subscribe again
        Connection again = stomp.connect(bob);
        again.subscribe(group, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> !again.errors.isEmpty());
        assertThat(again.errors.get(0)).contains("only members");
    }

    @Test
    void aBannedMemberWhoSubscribedAboveTheGroupsHeadLosesTheTopic() throws Exception {
        // given bob, a member, subscribes claiming a seq the group does not have yet (its head is 2: created, joined)
        api.post(bob, "/api/groups/" + group + "/join", null);
        Connection bobs = stomp.connect(bob);
        List<Frame> bobFrames = bobs.subscribe(group, 3L);
        // the claim is answered with a resync to the group's real head
        await().atMost(Duration.ofSeconds(10)).until(() -> !bobFrames.isEmpty());
        assertThat(bobFrames.get(0).headers().getFirst("chorus-resync")).isEqualTo("true");
        assertThat(bobFrames.get(0).json().get("latestSeq").asLong()).isEqualTo(2);
        Connection alices = stomp.connect(alice);
        List<Frame> aliceFrames = alices.subscribe(group, 2L);

        // when alice bans him (seq 3, at his claimed position) and goes on
        assertThat(api.delete(alice, "/api/groups/" + group + "/members/bob?ban=true")
                        .status())
                .isEqualTo(200);
        long after = sendRest(alice, "after-ban", "after the ban");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !aliceFrames.isEmpty()
                        && aliceFrames.get(aliceFrames.size() - 1).seq() == after);

        // then bob got his removal and nothing after it
        await().atMost(Duration.ofSeconds(10)).until(() -> bobFrames.size() >= 2);
        assertThat(bobFrames.subList(1, bobFrames.size()))
                .extracting(Frame::type)
                .containsExactly("MemberRemoved");
    }

    @Test
    void aTypingOnlySubscriptionIsRevokedAtRemoval() throws Exception {
        // given bob follows only the group's typing notices, alice the group and its typing notices
        api.post(bob, "/api/groups/" + group + "/join", null);
        Connection bobs = stomp.connect(bob);
        List<Frame> bobTyping = new CopyOnWriteArrayList<>();
        bobs.subscribe("/topic/groups." + group + ".typing", null, bobTyping);
        Connection alices = stomp.connect(alice);
        List<Frame> aliceFrames = alices.subscribe(group, 2L);
        List<Frame> aliceTyping = new CopyOnWriteArrayList<>();
        alices.subscribe("/topic/groups." + group + ".typing", null, aliceTyping);
        // at most one notice a second passes per connection and group
        await().atMost(Duration.ofSeconds(10))
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(1100))
                .until(() -> {
                    if (bobTyping.isEmpty()) {
                        alices.session.send("/app/groups." + group + ".typing", "{}");
                    }
                    return !bobTyping.isEmpty();
                });
        // bob's own notices reach alice while he is a member
        int aliceSawBefore = aliceTyping.size();
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(1100))
                .until(() -> {
                    bobs.session.send("/app/groups." + group + ".typing", "{}");
                    return aliceTyping.stream()
                            .skip(aliceSawBefore)
                            .anyMatch(f -> f.json().get("userId").asText().equals("bob"));
                });
        // every notice sent so far has reached both
        await().atMost(Duration.ofSeconds(20))
                .until(() -> typedBy(bobTyping, "bob") == typedBy(aliceTyping, "bob")
                        && typedBy(bobTyping, "alice") == typedBy(aliceTyping, "alice"));
        int typingBeforeRemoval = bobTyping.size();

        // when alice removes bob, then both type
        assertThat(api.delete(alice, "/api/groups/" + group + "/members/bob").status())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> aliceFrames.stream().anyMatch(f -> f.type().equals("MemberRemoved")));
        int aliceSawAtRemoval = aliceTyping.size();
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(1100))
                .until(() -> {
                    bobs.session.send("/app/groups." + group + ".typing", "{}");
                    alices.session.send("/app/groups." + group + ".typing", "{}");
                    return aliceTyping.size() >= aliceSawAtRemoval + 2;
                });

        // then bob hears no notice after his removal, and nobody hears his
        assertThat(bobTyping).hasSize(typingBeforeRemoval);
        // a copy: notices may still be arriving, and a view of a CopyOnWriteArrayList fails on a later write
        List<Frame> aliceAfter = List.copyOf(aliceTyping);
        assertThat(aliceAfter.subList(aliceSawAtRemoval, aliceAfter.size()))
                .allSatisfy(f -> assertThat(f.json().get("userId").asText()).isEqualTo("alice"));
    }

    private static long typedBy(List<Frame> notices, String userId) {
        return notices.stream()
                .filter(f -> f.json().get("userId").asText().equals(userId))
                .count();
    }

    @Test
    void badSendsAreAnsweredOnTheAcksQueueAndTheConnectionStays() throws Exception {
        // given
        Connection alices = stomp.connect(alice);
        alices.subscribeAcks();
        // when: no JSON, a missing clientMessageId, a text over the limit, an unknown group
        alices.session.send("/app/groups." + group + ".messages", "{not json");
        alices.session.send("/app/groups." + group + ".messages", "{\"text\":\"no id\"}");
        alices.send(group, "long", "x".repeat(4001));
        alices.send("no-such-group", "unknown", "hi");
        alices.send(group, "fine", "fine");
        // then
        await().atMost(Duration.ofSeconds(10)).until(() -> alices.acks.size() == 5);
        assertThat(alices.acks.get(0).at("/error/detail").asText()).contains("body");
        assertThat(alices.acks.get(1).at("/error/status").asInt()).isEqualTo(400);
        assertThat(alices.acks.get(1).at("/error/detail").asText()).contains("clientMessageId");
        assertThat(alices.acks.stream()
                        .filter(a -> "long".equals(a.path("clientMessageId").asText())))
                .singleElement()
                .satisfies(a -> assertThat(a.at("/error/status").asInt()).isEqualTo(413));
        assertThat(alices.acks.stream()
                        .filter(a -> "unknown".equals(a.path("clientMessageId").asText())))
                .singleElement()
                .satisfies(a -> assertThat(a.at("/error/status").asInt()).isEqualTo(404));
        assertThat(alices.acks.stream()
                        .filter(a -> "fine".equals(a.path("clientMessageId").asText())))
                .singleElement()
                .satisfies(a -> assertThat(a.get("seq").asLong()).isEqualTo(2));
        assertThat(alices.connected()).isTrue();
        assertThat(alices.errors).isEmpty();
    }

    @Test
    void aRefusedSendReadsTheSameOverRestAndStomp() throws Exception {
        // given: carol is no member of the group; the sends below are each refused for another reason
        String carol = api.token("carol");
        Connection carols = stomp.connect(carol);
        carols.subscribeAcks();
        record Refused(String groupId, String clientMessageId, String text) {}
        List<Refused> refusals = List.of(
                new Refused(group, "", "no id"),
                new Refused(group, "too-long", "x".repeat(4001)),
                new Refused(group, "bell", "a \u0007 bell"),
                new Refused("no-such-group", "unknown", "hi"),
                new Refused(group, "not-member", "hi"));

        for (Refused refused : refusals) {
            // when: sent over REST and over STOMP
            Api.Response rest = api.post(
                    carol,
                    "/api/groups/" + refused.groupId() + "/messages",
                    Map.of("clientMessageId", refused.clientMessageId(), "text", refused.text()));
            int before = carols.acks.size();
            carols.send(refused.groupId(), refused.clientMessageId(), refused.text());
            await().atMost(Duration.ofSeconds(10)).until(() -> carols.acks.size() == before + 1);
            JsonNode ack = carols.acks.get(before);

            // then: one status and one detail for both
            assertThat(rest.status()).as(refused.toString()).isBetween(400, 499);
            assertThat(ack.at("/error/status").asInt()).as(refused.toString()).isEqualTo(rest.status());
            assertThat(ack.at("/error/detail").asText())
                    .as(refused.toString())
                    .isEqualTo(rest.body().get("detail").asText());
        }
        // and nothing was stored
        assertThat(api.call("GET", "/api/groups/" + group, alice, null)
                        .body()
                        .get("lastSeq")
                        .asLong())
                .isEqualTo(1);
    }

    @Test
    void malformedAndOversizedFramesGetAnErrorWithoutAStackTraceAndOthersAreFine() throws Exception {
        // given a healthy subscriber
        List<Frame> healthy = stomp.connect(alice).subscribe(group, 1L);
        for (String frame : new String[] {
            "HELLO\nfoo:bar\n\n",
            "SEND\ndestination:/app/groups." + group + ".messages\n\n" + "y".repeat(100 * 1024),
            "SEND\ndestination:/app/groups." + group + ".messages\n\n" + "z".repeat(1024 * 1024)
        }) {
            try (RawStomp raw = RawStomp.open(port)) {
                raw.sendFrame("CONNECT\naccept-version:1.2\nAuthorization:Bearer " + alice + "\n\n");
                assertThat(raw.readUntil("\0")).startsWith("CONNECTED");
                // when
                raw.sendFrame(frame);
                // then
                String error = raw.readUntil("\0");
                assertThat(error).startsWith("ERROR").doesNotContain("\tat ").doesNotContain("Exception:");
                assertThat(raw.closedWithin(Duration.ofSeconds(5))).isTrue();
            }
        }
        long seq = sendRest(alice, "still", "still here");
        await().atMost(Duration.ofSeconds(10)).until(() -> healthy.size() == 1);
        assertThat(healthy.get(0).seq()).isEqualTo(seq);
    }

    /** A token signed with the tests' secret, expiring at the given time (null: never). */
    static String token(String subject, Instant expiresAt) {
        byte[] secret = "integration-tests-secret-of-at-least-32-bytes".getBytes(StandardCharsets.UTF_8);
        NimbusJwtEncoder encoder = new NimbusJwtEncoder(new ImmutableSecret<>(new SecretKeySpec(secret, "HmacSHA256")));
        JwtClaimsSet.Builder builder = JwtClaimsSet.builder()
                .issuer("chorus-dev")
                .subject(subject)
                .issuedAt((expiresAt == null ? Instant.now() : expiresAt).minusSeconds(3600));
        if (expiresAt != null) {
            builder.expiresAt(expiresAt);
        }
        JwtClaimsSet claims = builder.build();
        return encoder.encode(JwtEncoderParameters.from(
                        JwsHeader.with(MacAlgorithm.HS256).build(), claims))
                .getTokenValue();
    }

    private static Thread start(Runnable work) {
        Thread thread = new Thread(work);
        thread.start();
        return thread;
    }
}
