package io.chorus.bench.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness reads every MESSAGE of a text message, however many STOMP frames the server put in it. */
class LeanConnectionsTest {

    @Test
    void everyMessageFrameOfATextMessageCounts() {
        String text = "MESSAGE\nsubscription:0\nseq:1\n\n{\"text\":\"m7\"}\0"
                + "MESSAGE\nsubscription:0\nseq:2\n\n{\"text\":\"m8 and more\"}\0"
                + "\nMESSAGE\ndestination:/user/queue/acks\n\n{\"clientMessageId\":\"c\",\"seq\":3}\0"
                + "MESSAGE\n\n{\"text\":\"m9\"}\0";
        ByteBuffer buffer = ByteBuffer.wrap(("xx" + text + "yy").getBytes(StandardCharsets.UTF_8));
        List<Long> ids = new ArrayList<>();

        boolean any = LeanConnections.eachMessageId(buffer, 2, buffer.capacity() - 4, ids::add);

        assertThat(any).isTrue();
        assertThat(ids).containsExactly(7L, 8L, 9L);
    }

    @Test
    void aTextWithoutMessageFramesIsNotOne() {
        ByteBuffer buffer = ByteBuffer.wrap("CONNECTED\nversion:1.2\n\n\0".getBytes(StandardCharsets.UTF_8));
        List<Long> ids = new ArrayList<>();

        assertThat(LeanConnections.eachMessageId(buffer, 0, buffer.capacity(), ids::add))
                .isFalse();
        assertThat(ids).isEmpty();
    }
}
