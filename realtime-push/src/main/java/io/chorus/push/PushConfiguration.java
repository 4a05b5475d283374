package io.chorus.push;

import jakarta.annotation.PreDestroy;
import org.apache.tomcat.websocket.Constants;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SyncTaskExecutor;
import org.springframework.messaging.simp.config.ChannelRegistration;
import org.springframework.messaging.simp.config.MessageBrokerRegistry;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.standard.StandardWebSocketSession;
import org.springframework.web.socket.config.annotation.StompEndpointRegistry;
import org.springframework.web.socket.config.annotation.WebSocketMessageBrokerConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketTransportRegistration;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;
import org.springframework.web.socket.server.standard.ServletServerContainerFactoryBean;

/**
 * The STOMP endpoint as API.md describes it: SockJS at {@code /ws}, plain WebSocket at {@code /ws/websocket}. An
 * in-process broker serves errors and typing notices (each node serves its own clients, so no cross-node broker is
 * needed); group events go out through {@link GroupSubscriptions}, acks through {@link SessionAcks}. Inbound frames
 * of a session are handled in the order they arrive; a session's group events leave in seq order. Sizes and the
 * slow-consumer cut-off come from {@link PushProperties}.
 */
@Configuration
@EnableConfigurationProperties(PushProperties.class)
class PushConfiguration implements WebSocketMessageBrokerConfigurer {

    private final StompSecurityInterceptor security;
    private final SessionOutboxes outboxes;
    private final PushProperties properties;

    PushConfiguration(StompSecurityInterceptor security, SessionOutboxes outboxes, PushProperties properties) {
        this.security = security;
        this.outboxes = outboxes;
        this.properties = properties;
    }

    /**
     * The broker's heart-beat timer. Not a bean on purpose: a scheduler bean would count as the application's task
     * executor, and Spring Boot would then run the STOMP channels on its one thread.
     */
    private final ThreadPoolTaskScheduler heartbeats = heartbeatScheduler();

    private static ThreadPoolTaskScheduler heartbeatScheduler() {
        ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
        scheduler.setPoolSize(1);
        scheduler.setThreadNamePrefix("stomp-heartbeat-");
        scheduler.setDaemon(true);
        scheduler.initialize();
        return scheduler;
    }

    @PreDestroy
    void stopHeartbeats() {
        heartbeats.shutdown();
    }

    /**
     * Small container buffers: Tomcat preallocates them for every connection (8 K characters and 8 KB by default, a
     * third of a connection's heap), and they need not hold a whole frame since messages are taken in parts.
     */
    @Bean
    ServletServerContainerFactoryBean webSocketContainer() {
        ServletServerContainerFactoryBean container = new ServletServerContainerFactoryBean();
        container.setMaxTextMessageBufferSize(2048);
        container.setMaxBinaryMessageBufferSize(1024);
        return container;
    }

    /**
     * Tomcat's socket buffers off the heap: with the WebSocket buffers above they were most of a connection's heap
     * (about 64 KB each; 5,000 connections came near 512 MiB, bench/push-benchmark.sh).
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> socketBuffersOffHeap() {
        return factory ->
                factory.addConnectorCustomizers(connector -> connector.setProperty("socket.directBuffer", "true"));
    }

    @Override
    public void registerStompEndpoints(StompEndpointRegistry registry) {
        registry.setPreserveReceiveOrder(true);
        int limit = (int) properties.messageSizeLimit().toBytes();
        registry.addEndpoint("/ws")
                .setAllowedOriginPatterns(properties.allowedOrigins().toArray(String[]::new))
                .withSockJS()
                // frames up to the size limit on every SockJS transport too (see SockJsFrameLimits)
                .setTransportHandlerOverrides(
                        SockJsFrameLimits.webSocketTransport(limit),
                        SockJsFrameLimits.xhrReceivingTransport(limit),
                        SockJsFrameLimits.xhrPollingTransport());
    }

    @Override
    public void configureMessageBroker(MessageBrokerRegistry registry) {
        long heartbeat = properties.heartbeat().toMillis();
        registry.enableSimpleBroker("/topic", "/queue")
                .setHeartbeatValue(new long[] {heartbeat, heartbeat})
                .setTaskScheduler(heartbeats)
                // no SpEL selectors on subscriptions (the interceptor refuses the header as well)
                .setSelectorHeaderName(null);
        registry.setApplicationDestinationPrefixes("/app");
        registry.setUserDestinationPrefix("/user");
        // errors and typing notices carry no order; group events and acks are queued per session by SessionOutboxes
    }

    @Override
    public void configureWebSocketTransport(WebSocketTransportRegistration registration) {
        registration
                .setMessageSizeLimit((int) properties.messageSizeLimit().toBytes())
                .setSendTimeLimit((int) properties.sendTimeLimit().toMillis())
                .setSendBufferSizeLimit((int) properties.sendBufferSizeLimit().toBytes())
                .addDecoratorFactory(handler -> new SessionTracking(
                        handler, outboxes, properties.sendTimeLimit().toMillis()));
    }

    /**
     * Inbound frames are handled on the container thread that read them, with no hand-over to a pool: a SEND holds
     * that thread until its events are committed (that is when it is acknowledged), and a connection's next frame is
     * read after it, so a session's frames stay in order. On two cores every hand-over between threads is a wake-up
     * through the kernel; the container's pool ({@code server.tomcat.threads.max}) bounds the SENDs in flight.
     */
    @Override
    public void configureClientInboundChannel(ChannelRegistration registration) {
        registration.interceptors(security);
        registration.executor(new SyncTaskExecutor());
    }

    /**
     * Tells the outboxes which sockets are open, so that a slow one can be cut off; and takes WebSocket messages in
     * parts, so that the container's per-connection buffers stay small while Spring's STOMP decoder joins the parts
     * and answers a frame over the size limit with an ERROR frame.
     */
    private static final class SessionTracking extends WebSocketHandlerDecorator {

        /** Milliseconds past the send time limit: long enough for the watchdog, which looks twice a second. */
        private static final long WRITE_GIVES_UP_AFTER_CUT_OFF = 1000;

        private final SessionOutboxes outboxes;
        private final long sendTimeLimitMillis;

        SessionTracking(WebSocketHandler delegate, SessionOutboxes outboxes, long sendTimeLimitMillis) {
            super(delegate);
            this.outboxes = outboxes;
            this.sendTimeLimitMillis = sendTimeLimitMillis;
        }

        @Override
        public void afterConnectionEstablished(WebSocketSession session) throws Exception {
            if (session instanceof StandardWebSocketSession standard) {
                // a write to a client that reads nothing gives up, and frees its sender thread, just after the client
                // is cut off for it (the watchdog names the reason first), not at Tomcat's own longer default; the
                // constant is compiled in, no link to Tomcat
                standard.getNativeSession()
                        .getUserProperties()
                        .put(
                                Constants.BLOCKING_SEND_TIMEOUT_PROPERTY,
                                sendTimeLimitMillis + WRITE_GIVES_UP_AFTER_CUT_OFF);
            }
            outboxes.opened(session);
            super.afterConnectionEstablished(session);
        }

        @Override
        public boolean supportsPartialMessages() {
            return true;
        }

        @Override
        public void afterConnectionClosed(WebSocketSession session, CloseStatus status) throws Exception {
            outboxes.closed(session.getId());
            super.afterConnectionClosed(session, status);
        }
    }
}
