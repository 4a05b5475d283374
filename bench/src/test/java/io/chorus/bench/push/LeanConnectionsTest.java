package io.chorus.bench.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How the harness reads what a server sends: a text message split into its STOMP frames ({@link
 * LeanConnections#stompFrames}), a message's id and its server's stamp.
 */
class LeanConnectionsTest {

    @Test
    void everyFrameOfAMessageIsHandedOverWithoutItsNulOrTheHeartBeatsBeforeIt() {
        String message = "MESSAGE\nseq:1\n\n{\"text\":\"m1\"}\0\nMESSAGE\nseq:2\n\n{\"text\":\"m2\"}\0\r\n\n\0"
                + "MESSAGE\nseq:3\n\n{}\0";

        assertThat(frames("xx" + message + "yy", 2, message.length()))
                .containsExactly(
                        "MESSAGE\nseq:1\n\n{\"text\":\"m1\"}",
                        "MESSAGE\nseq:2\n\n{\"text\":\"m2\"}",
                        "MESSAGE\nseq:3\n\n{}");
    }

    @Test
    void aSingleFrameAndOneWithoutItsNulAreOneFrameEachAndAHeartBeatIsNone() {
        assertThat(frames("CONNECTED\nversion:1.2\n\n\0")).containsExactly("CONNECTED\nversion:1.2\n\n");
        assertThat(frames("ERROR\n\nno NUL")).containsExactly("ERROR\n\nno NUL");
        assertThat(frames("\n")).isEmpty();
    }

    @Test
    void theMessageIdsOfCoalescedFramesAreEachFound() {
        String message = "MESSAGE\n\n{\"text\":\"m41\"}\0MESSAGE\n\n{\"text\":\"m42 x\"}\0";
        ByteBuffer buffer = ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8));
        List<Long> ids = new ArrayList<>();

        LeanConnections.stompFrames(
                buffer, 0, buffer.limit(), (frame, from, length) -> ids.add(LeanConnections.idIn(frame, from, length)));

        assertThat(ids).containsExactly(41L, 42L);
    }

    @Test
    void theServersStampIsTheBodysSentAtAndAFrameWithoutOneHasNone() {
        String chorus = "MESSAGE\nseq:9\n\n{\"seq\":9,\"text\":\"m7\",\"sentAt\":\"2026-12-02T13:40:01.123Z\"}";
        String bare = "MESSAGE\n\n{\"text\":\"m7\"}";
        String broken = "MESSAGE\n\n{\"sentAt\":\"yesterday\"}";

        assertThat(LeanConnections.stampIn(utf8(chorus), 0, chorus.length())).isEqualTo(1_796_218_801_123L);
        assertThat(LeanConnections.stampIn(utf8(bare), 0, bare.length())).isEqualTo(-1);
        assertThat(LeanConnections.stampIn(utf8(broken), 0, broken.length())).isEqualTo(-1);
    }

    private static ByteBuffer utf8(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> frames(String text) {
        return frames(text, 0, text.length());
    }

    private static List<String> frames(String text, int from, int length) {
        ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        List<String> frames = new ArrayList<>();
        LeanConnections.stompFrames(buffer, from, length, (frame, at, size) -> {
            byte[] bytes = new byte[size];
            frame.get(at, bytes);
            frames.add(new String(bytes, StandardCharsets.UTF_8));
        });
        return frames;
    }
}
