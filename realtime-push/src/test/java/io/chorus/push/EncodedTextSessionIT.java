package io.chorus.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.push.EncodedTextSession.EncodedText;
import jakarta.websocket.ContainerProvider;
import jakarta.websocket.WebSocketContainer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.tomcat.websocket.Constants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.DispatcherServletAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.ServletWebServerFactoryAutoConfiguration;
import org.springframework.boot.autoconfigure.websocket.servlet.WebSocketServletAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.standard.StandardWebSocketSession;
import org.springframework.web.socket.client.standard.StandardWebSocketClient;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.handler.TextWebSocketHandler;

/**
 * Frames given as UTF-8 bytes reach a client of a real Tomcat as the text messages they encode, through Tomcat's own
 * endpoint (the reflective look-up works with the Tomcat Chorus is built with: a Tomcat that changes it fails here, not
 * silently in production), including characters of two, three and four bytes and a message larger than Tomcat's 8 KiB
 * send buffer.
 */
class EncodedTextSessionIT {

    private static final String SHORT = "MESSAGE\nseq:1\n\n{\"text\":\"héllo ✓ 😀\"}\u0000";
    private static final String LONG = "é✓😀".repeat(3000);

    /** A blocking send timeout other than Tomcat's default, set on the server's session. */
    private static final long TIMEOUT_MILLIS = 7_000;

    /** The timeout the server's encoded frames were sent with. */
    private static final AtomicLong SENT_WITH = new AtomicLong();

    private ConfigurableApplicationContext server;
    private final List<String> received = new CopyOnWriteArrayList<>();

    @Configuration(proxyBeanMethods = false)
    @EnableWebSocket
    @ImportAutoConfiguration({
        ServletWebServerFactoryAutoConfiguration.class,
        DispatcherServletAutoConfiguration.class,
        WebSocketServletAutoConfiguration.class
    })
    static class Server implements WebSocketConfigurer {
        @Override
        public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
            registry.addHandler(
                    new TextWebSocketHandler() {
                        @Override
                        public void afterConnectionEstablished(WebSocketSession session) throws Exception {
                            ((StandardWebSocketSession) session)
                                    .getNativeSession()
                                    .getUserProperties()
                                    .put(Constants.BLOCKING_SEND_TIMEOUT_PROPERTY, TIMEOUT_MILLIS);
                            EncodedTextSession encoded = new EncodedTextSession(session);
                            encoded.sendMessage(new EncodedText(SHORT.getBytes(StandardCharsets.UTF_8)));
                            SENT_WITH.set(encoded.timeoutMillis());
                            // Spring's own text messages still go the usual way, in between
                            encoded.sendMessage(new TextMessage("plain"));
                            encoded.sendMessage(new EncodedText(LONG.getBytes(StandardCharsets.UTF_8)));
                        }
                    },
                    "/frames");
        }
    }

    @BeforeEach
    void start() {
        server = new SpringApplicationBuilder(Server.class)
                .web(WebApplicationType.SERVLET)
                .properties("server.port=0", "spring.main.banner-mode=off")
                .run();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void encodedFramesArriveAsTheTextTheyEncodeThroughTomcatsEndpoint() throws Exception {
        // given
        int port = ((WebServerApplicationContext) server).getWebServer().getPort();
        WebSocketContainer container = ContainerProvider.getWebSocketContainer();
        // the long message arrives whole
        container.setDefaultMaxTextMessageBufferSize(64 * 1024);
        StandardWebSocketClient client = new StandardWebSocketClient(container);
        // when
        WebSocketSession session = client.execute(
                        new TextWebSocketHandler() {
                            @Override
                            protected void handleTextMessage(WebSocketSession session, TextMessage message) {
                                received.add(message.getPayload());
                            }
                        },
                        "ws://localhost:" + port + "/frames")
                .get();
        // then
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
            assertThat(received).containsExactly(SHORT, "plain", LONG);
            assertThat(EncodedTextSession.writesBytes()).isTrue();
            // the session's own blocking send timeout, as Tomcat's text send would have used
            assertThat(SENT_WITH.get()).isEqualTo(TIMEOUT_MILLIS);
        } finally {
            session.close(CloseStatus.NORMAL);
        }
    }
}
