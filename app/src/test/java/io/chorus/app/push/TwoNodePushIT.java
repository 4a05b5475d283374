package io.chorus.app.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import io.chorus.app.SecondNode;
import io.chorus.app.push.StompClient.Connection;
import io.chorus.app.push.StompClient.Frame;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Two all-in-one nodes sharing PostgreSQL and Redis (the second started in this JVM on its own port): each node's
 * subscribers get the messages sent through the other, in seq order.
 */
@ChorusIT
class TwoNodePushIT {

    static final SecondNode second = new SecondNode();

    @LocalServerPort
    int port;

    @AfterAll
    static void stopSecond() {
        second.close();
    }

    private int secondPort() {
        return second.port();
    }

    @Test
    void eachNodeDeliversWhatWasSentThroughTheOther() throws Exception {
        // given a group, alice subscribed on node A and bob on node B
        Api a = new Api(port);
        Api b = new Api(secondPort());
        String alice = a.token("alice");
        String bob = a.token("bob");
        String group = "two-" + UUID.randomUUID().toString().substring(0, 8);
        a.createOpenGroup(alice, group, "2");
        assertThat(b.post(bob, "/api/groups/" + group + "/join", null).status()).isLessThan(300);
        try (StompClient onA = new StompClient(port);
                StompClient onB = new StompClient(secondPort())) {
            List<Frame> aliceFrames = onA.connect(alice).subscribe(group, 2L);
            Connection bobs = onB.connect(bob);
            List<Frame> bobFrames = bobs.subscribe(group, 2L);
            bobs.subscribeAcks();

            // when alice sends through node A's REST API and bob through node B's STOMP endpoint, interleaved
            for (int i = 0; i < 20; i++) {
                a.post(alice, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "a" + i, "text", "a"));
                bobs.send(group, "b" + i, "b");
            }

            // then both nodes' subscribers get all 40, once each, in seq order
            List<Long> expected = LongStream.rangeClosed(3, 42).boxed().toList();
            for (List<Frame> frames : List.of(aliceFrames, bobFrames)) {
                await().atMost(Duration.ofSeconds(20)).until(() -> frames.size() >= 40);
                assertThat(frames.stream().map(Frame::seq).toList()).containsExactlyElementsOf(expected);
            }
            assertThat(aliceFrames.stream()
                            .filter(f -> f.json().get("senderId").asText().equals("bob")))
                    .hasSize(20);
        }
    }
}
