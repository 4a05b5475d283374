package io.chorus.app.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import io.chorus.app.push.StompClient.Frame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A client that stops reading is cut off once its frames pass the buffer or send-time limit (application-it.yml:
 * 256 KB, 3 s), with the reason logged; the others keep receiving; it then resumes without loss.
 */
@ChorusIT
@ExtendWith(OutputCaptureExtension.class)
class SlowConsumerIT {

    static final int MESSAGES = 600;

    @LocalServerPort
    int port;

    @Test
    void aClientThatStopsReadingIsCutOffAndResumesWithoutLoss(CapturedOutput output) throws Exception {
        // given a healthy subscriber and one that reads nothing after subscribing
        Api api = new Api(port);
        String alice = api.token("alice");
        String group = "slow-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "S");
        try (StompClient stomp = new StompClient(port);
                RawStomp slow = RawStomp.open(port, 4096)) {
            List<Frame> healthy = stomp.connect(alice).subscribe(group, 1L);
            slow.sendFrame("CONNECT\naccept-version:1.2\nAuthorization:Bearer " + alice + "\n\n");
            assertThat(slow.readUntil("\0")).startsWith("CONNECTED");
            slow.sendFrame("SUBSCRIBE\nid:0\ndestination:/topic/groups." + group + "\nfrom-seq:1\n\n");

            // when 600 messages of about 12 KB each (7 MB, more than the socket buffers take) are sent
            sendLargeMessages(api, alice, group);

            // then the healthy one has them all, the slow one was cut off, and the log says why
            List<Long> all = LongStream.rangeClosed(2, 1 + MESSAGES).boxed().toList();
            await().atMost(Duration.ofSeconds(30)).until(() -> healthy.size() >= MESSAGES);
            assertThat(healthy.stream().map(Frame::seq).toList()).containsExactlyElementsOf(all);
            await().atMost(Duration.ofSeconds(20)).until(() -> output.getOut().contains("cut off slow session"));
            assertThat(slow.closedWithin(Duration.ofSeconds(20))).isTrue();

            // and it resumes from where it was with nothing missing
            List<Frame> resumed = stomp.connect(alice).subscribe(group, 1L);
            await().atMost(Duration.ofSeconds(30)).until(() -> resumed.size() >= MESSAGES);
            assertThat(resumed.stream().map(Frame::seq).toList()).containsExactlyElementsOf(all);
        }
    }

    @Test
    void catchUpsOfClientsThatStopReadingHoldNoThreadFromTheOthers(CapturedOutput output) throws Exception {
        // given a group with more history than the socket buffers of a client that does not read take
        Api api = new Api(port);
        String alice = api.token("alice");
        String group = "starve-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "S");
        sendLargeMessages(api, alice, group);
        List<RawStomp> slow = new ArrayList<>();
        try (StompClient stomp = new StompClient(port)) {
            // more clients replaying it without reading than the node has catch-up threads (two), fewer than it has
            // threads that write to sockets (four: a write to a socket that takes nothing blocks one)
            for (int i = 0; i < 3; i++) {
                RawStomp client = RawStomp.open(port, 4096);
                slow.add(client);
                client.sendFrame("CONNECT\naccept-version:1.2\nAuthorization:Bearer " + alice + "\n\n");
                assertThat(client.readUntil("\0")).startsWith("CONNECTED");
                client.sendFrame("SUBSCRIBE\nid:0\ndestination:/topic/groups." + group + "\nfrom-seq:1\n\n");
                // its catch-up has begun; it reads nothing more
                assertThat(client.readUntil("\0")).startsWith("MESSAGE");
            }

            // when a client that reads replays the same history
            List<Frame> healthy = stomp.connect(alice).subscribe(group, 1L);

            // then it gets all of it before the stalled ones are cut off (after the send time limit): their catch-ups
            // wait for room without holding a thread
            await().atMost(Duration.ofSeconds(30)).until(() -> healthy.size() >= MESSAGES);
            assertThat(output.getOut()).doesNotContain("cut off slow session");
            assertThat(healthy.stream().map(Frame::seq).toList())
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(2, 1 + MESSAGES).boxed().toList());
            // and the stalled ones are cut off in the end
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> output.getOut().split("cut off slow session", -1).length - 1 >= slow.size());
            for (RawStomp client : slow) {
                assertThat(client.closedWithin(Duration.ofSeconds(20))).isTrue();
            }
        } finally {
            for (RawStomp client : slow) {
                client.close();
            }
        }
    }

    /** {@link #MESSAGES} messages of about 12 KB each (7 MB, more than the socket buffers take), each stored. */
    private static void sendLargeMessages(Api api, String token, String group) {
        String text = "語".repeat(3900);
        for (int i = 0; i < MESSAGES; i++) {
            assertThat(api.post(
                                    token,
                                    "/api/groups/" + group + "/messages",
                                    Map.of("clientMessageId", "m" + i, "text", text + i))
                            .status())
                    .isEqualTo(201);
        }
    }
}
