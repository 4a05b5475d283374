package io.chorus.bench.push;

import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import jakarta.websocket.WebSocketContainer;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A subscriber connection of the harness that speaks just enough STOMP (CONNECT, SUBSCRIBE, then MESSAGE frames
 * handed over whole) for the benchmark. Spring's STOMP client decoded every frame into a header map: on this
 * 2-core machine, where the harness shares the cores with the server under test, that decoding took a third of the
 * harness's CPU and so delayed what it measured. The same subscriber is used against Chorus and the bare broker.
 */
final class LeanSubscriber extends Endpoint {

    private final String connect;
    private final String subscribe;
    private final Consumer<String> onMessage;
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private volatile Session session;
    private int subscriptions = 1;

    private LeanSubscriber(String token, String destination, Consumer<String> onMessage) {
        this.connect = "CONNECT\naccept-version:1.2\nheart-beat:0,0\nAuthorization:Bearer " + token + "\n\n\0";
        this.subscribe = "SUBSCRIBE\nid:0\ndestination:" + destination + "\n\n\0";
        this.onMessage = onMessage;
    }

    /** Connects, subscribes to {@code destination} once CONNECTED, and hands each MESSAGE frame's text over. */
    static LeanSubscriber open(
            WebSocketContainer container, URI uri, String token, String destination, Consumer<String> onMessage)
            throws Exception {
        LeanSubscriber subscriber = new LeanSubscriber(token, destination, onMessage);
        container.connectToServer(
                subscriber, ClientEndpointConfig.Builder.create().build(), uri);
        subscriber.connected.get(30, TimeUnit.SECONDS);
        return subscriber;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        this.session = session;
        session.addMessageHandler(String.class, (MessageHandler.Whole<String>) this::received);
        try {
            session.getBasicRemote().sendText(connect);
        } catch (IOException e) {
            connected.completeExceptionally(e);
        }
    }

    private void received(String frame) {
        if (frame.startsWith("MESSAGE")) {
            onMessage.accept(frame);
        } else if (frame.startsWith("CONNECTED")) {
            session.getAsyncRemote().sendText(subscribe);
            connected.complete(null);
        } else if (frame.startsWith("ERROR")) {
            connected.completeExceptionally(new IllegalStateException("the server answered " + frame));
        }
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
        connected.completeExceptionally(new IllegalStateException("closed: " + reason));
    }

    /** One more subscription on this connection (its frames go to the same consumer). */
    void subscribe(String destination) throws IOException {
        session.getBasicRemote()
                .sendText("SUBSCRIBE\nid:" + subscriptions++ + "\ndestination:" + destination + "\n\n\0");
    }

    void close() {
        try {
            session.close();
        } catch (IOException e) {
            // the benchmark is over; the server closes it too
        }
    }
}
