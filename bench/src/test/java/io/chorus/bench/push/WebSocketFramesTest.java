package io.chorus.bench.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebSocketFramesTest {

    private static final String SMALL = "MESSAGE\n\n{\"text\":\"m7\"}\0";
    private static final String MEDIUM = "MESSAGE\n\n{\"text\":\"m8 " + "y".repeat(300) + "\"}\0";
    private static final String LARGE = "MESSAGE\n\n{\"text\":\"m9 " + "z".repeat(70_000) + "\"}\0";

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 125, 4096, 1_000_000})
    void everyMessageAndPingArrivesWholeWhateverPiecesTheStreamIsReadIn(int pieceSize) throws Exception {
        // given: three unfragmented texts (7-, 16- and 64-bit lengths), one text in three fragments with a ping
        // between them, a pong, then a close, and a text after the close that must not be handed over
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.write(frame(0x81, SMALL));
        stream.write(frame(0x81, MEDIUM));
        stream.write(frame(0x81, LARGE));
        stream.write(frame(0x01, "MESSAGE\n\n{\"te"));
        stream.write(frame(0x89, "are you there"));
        stream.write(frame(0x00, "xt\":\"m10"));
        stream.write(frame(0x80, "\"}\0"));
        stream.write(frame(0x8A, "pong"));
        stream.write(frame(0x88, ""));
        stream.write(frame(0x81, "after the close"));
        byte[] bytes = stream.toByteArray();

        List<String> texts = new ArrayList<>();
        List<String> pings = new ArrayList<>();
        WebSocketFrames frames = new WebSocketFrames(new WebSocketFrames.Handler() {
            @Override
            public void text(ByteBuffer buffer, int from, int length) {
                byte[] text = new byte[length];
                buffer.get(from, text);
                texts.add(new String(text, StandardCharsets.UTF_8));
            }

            @Override
            public void ping(byte[] body) {
                pings.add(new String(body, StandardCharsets.UTF_8));
            }
        });

        // when the stream is fed in pieces until the close is seen
        boolean open = true;
        for (int at = 0; at < bytes.length && open; at += pieceSize) {
            open = frames.feed(ByteBuffer.wrap(bytes, at, Math.min(pieceSize, bytes.length - at)));
        }

        // then
        assertThat(open).isFalse();
        assertThat(texts).containsExactly(SMALL, MEDIUM, LARGE, "MESSAGE\n\n{\"text\":\"m10\"}\0");
        assertThat(pings).containsExactly("are you there");
        assertThat(texts.stream()
                        .map(text -> LeanConnections.idIn(
                                ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0, text.length())))
                .containsExactly(7L, 8L, 9L, 10L);
    }

    /** An unmasked frame, as a server sends it. */
    private static byte[] frame(int firstByte, String payload) {
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuffer frame = ByteBuffer.allocate(10 + body.length);
        frame.put((byte) firstByte);
        if (body.length < 126) {
            frame.put((byte) body.length);
        } else if (body.length <= 0xFFFF) {
            frame.put((byte) 126).putShort((short) body.length);
        } else {
            frame.put((byte) 127).putLong(body.length);
        }
        frame.put(body).flip();
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        return bytes;
    }
}
