package io.chorus.app.push;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * STOMP frames sent and received as they are, over each transport a browser may use: the plain WebSocket endpoint,
 * SockJS over WebSocket, and SockJS over XHR (polling, and {@code xhr_send} for what the client sends). SockJS's
 * framing ({@code o}, {@code h}, {@code a[…]}, {@code c[…]}) is spoken by hand, so that a test sees what a browser
 * would: every STOMP frame, and how the transport closed.
 */
abstract class TransportClient implements AutoCloseable {

    enum Transport {
        WEBSOCKET,
        SOCKJS_WEBSOCKET,
        SOCKJS_XHR
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** STOMP frames received, in order; a closed transport adds {@link #CLOSED}. */
    final BlockingQueue<String> frames = new LinkedBlockingQueue<>();

    static final String CLOSED = "(closed)";

    /** How the transport closed: a WebSocket close code, or SockJS's {@code c[code,…]}. */
    volatile Integer closeCode;

    static TransportClient open(Transport transport, int port) throws Exception {
        String session = UUID.randomUUID().toString().substring(0, 8);
        return switch (transport) {
            case WEBSOCKET -> new OverWebSocket(URI.create("ws://localhost:" + port + "/ws/websocket"), false);
            case SOCKJS_WEBSOCKET ->
                new OverWebSocket(URI.create("ws://localhost:" + port + "/ws/000/" + session + "/websocket"), true);
            case SOCKJS_XHR -> new OverXhr("http://localhost:" + port + "/ws/000/" + session);
        };
    }

    /** Sends one STOMP frame (the terminating NUL is added). */
    abstract void send(String frame) throws Exception;

    /** The next frame within {@code timeout}, or null. */
    String next(Duration timeout) throws InterruptedException {
        return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The next frame that starts with {@code command}, skipping others, or null within {@code timeout}. */
    String next(String command, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String frame = frames.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            if (frame != null && (frame.startsWith(command + "\n") || frame.equals(command))) {
                return frame;
            }
        }
        return null;
    }

    /** Handles what SockJS sent: a heart-beat, frames, or the close. */
    void sockJs(String message) throws IOException {
        if (message.startsWith("a")) {
            for (String frame : JSON.readValue(message.substring(1), new TypeReference<List<String>>() {})) {
                frames.add(stripNul(frame));
            }
        } else if (message.startsWith("c")) {
            List<Object> close = JSON.readValue(message.substring(1), new TypeReference<List<Object>>() {});
            closeCode = ((Number) close.get(0)).intValue();
            frames.add(CLOSED);
        }
    }

    static String stripNul(String frame) {
        String trimmed = frame.startsWith("\n") ? frame.stripLeading() : frame;
        return trimmed.endsWith("\u0000") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }

    static String encode(String frame) throws IOException {
        return JSON.writeValueAsString(List.of(frame + "\u0000"));
    }

    private static final class OverWebSocket extends TransportClient implements WebSocket.Listener {
        private final boolean sockJs;
        private final StringBuilder parts = new StringBuilder();
        private final WebSocket socket;

        OverWebSocket(URI uri, boolean sockJs) throws Exception {
            this.sockJs = sockJs;
            this.socket = HTTP.newWebSocketBuilder().buildAsync(uri, this).get(10, TimeUnit.SECONDS);
        }

        @Override
        void send(String frame) throws Exception {
            socket.sendText(sockJs ? encode(frame) : frame + "\u0000", true).get(10, TimeUnit.SECONDS);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            parts.append(data);
            if (last) {
                String message = parts.toString();
                parts.setLength(0);
                try {
                    if (sockJs) {
                        sockJs(message);
                    } else if (!message.isBlank()) {
                        frames.add(stripNul(message));
                    }
                } catch (IOException e) {
                    frames.add("(unreadable: " + message + ")");
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (closeCode == null) {
                closeCode = statusCode;
            }
            frames.add(CLOSED);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            frames.add(CLOSED);
        }

        @Override
        public void close() {
            socket.abort();
        }
    }

    private static final class OverXhr extends TransportClient {
        private final String base;
        private final Thread poller;
        private volatile boolean open = true;

        OverXhr(String base) throws Exception {
            this.base = base;
            String opened = post("/xhr", null).body();
            if (!opened.startsWith("o")) {
                throw new IllegalStateException("SockJS did not open: " + opened);
            }
            this.poller = new Thread(this::poll, "xhr-poller");
            this.poller.setDaemon(true);
            this.poller.start();
        }

        /**
         * Posts, and once more when the connection failed before an answer: a browser retries a request sent on a
         * kept-alive connection the server had just closed, Java's client does not.
         */
        private HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
            try {
                return postOnce(path, body);
            } catch (IOException e) {
                return postOnce(path, body);
            }
        }

        private HttpResponse<String> postOnce(String path, String body) throws IOException, InterruptedException {
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
            request.POST(
                    body == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        }

        private void poll() {
            while (open) {
                try {
                    for (String line : post("/xhr", null).body().split("\n")) {
                        sockJs(line);
                        if (line.startsWith("c")) {
                            open = false;
                        }
                    }
                } catch (IOException e) {
                    open = false;
                    frames.add(CLOSED);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        void send(String frame) throws Exception {
            HttpResponse<String> answer = post("/xhr_send", encode(frame));
            if (answer.statusCode() / 100 != 2) {
                frames.add("(xhr_send " + answer.statusCode() + ")");
            }
        }

        @Override
        public void close() {
            open = false;
            poller.interrupt();
        }
    }
}
