package io.chorus.push;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.simp.config.ChannelRegistration;
import org.springframework.messaging.simp.config.MessageBrokerRegistry;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.EnableWebSocketMessageBroker;
import org.springframework.web.socket.config.annotation.StompEndpointRegistry;
import org.springframework.web.socket.config.annotation.WebSocketMessageBrokerConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketTransportRegistration;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;

/**
 * The STOMP endpoint as API.md describes it: SockJS at {@code /ws}, plain WebSocket at {@code /ws/websocket}. An
 * in-process broker serves acks, errors and typing notices (each node serves its own clients, so no cross-node broker
 * is needed); group events go out through {@link GroupSubscriptions}. Inbound frames of a session are handled in
 * the order they arrive; a session's group events leave in seq order. Sizes and the slow-consumer cut-off come
 * from {@link PushProperties}.
 */
@Configuration
@EnableWebSocketMessageBroker
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

    @Bean
    ThreadPoolTaskScheduler pushHeartbeats() {
        ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
        scheduler.setPoolSize(1);
        scheduler.setThreadNamePrefix("stomp-heartbeat-");
        return scheduler;
    }

    @Override
    public void registerStompEndpoints(StompEndpointRegistry registry) {
        registry.setPreserveReceiveOrder(true);
        registry.addEndpoint("/ws")
                .setAllowedOriginPatterns(properties.allowedOrigins().toArray(String[]::new))
                .withSockJS();
    }

    @Override
    public void configureMessageBroker(MessageBrokerRegistry registry) {
        long heartbeat = properties.heartbeat().toMillis();
        registry.enableSimpleBroker("/topic", "/queue")
                .setHeartbeatValue(new long[] {heartbeat, heartbeat})
                .setTaskScheduler(pushHeartbeats());
        registry.setApplicationDestinationPrefixes("/app");
        registry.setUserDestinationPrefix("/user");
        // acks, errors and typing notices carry no order; group events are ordered by SessionOutboxes
    }

    @Override
    public void configureWebSocketTransport(WebSocketTransportRegistration registration) {
        registration
                .setMessageSizeLimit((int) properties.messageSizeLimit().toBytes())
                .setSendTimeLimit((int) properties.sendTimeLimit().toMillis())
                .setSendBufferSizeLimit((int) properties.sendBufferSizeLimit().toBytes())
                .addDecoratorFactory(handler -> new SessionTracking(handler, outboxes));
    }

    @Override
    public void configureClientInboundChannel(ChannelRegistration registration) {
        registration.interceptors(security);
    }

    /**
     * Tells the outboxes which sockets are open, so that a slow one can be cut off; and takes WebSocket messages in
     * parts, so that the container keeps its small per-connection buffer (8 K characters, preallocated for every
     * connection) while Spring's STOMP decoder joins the parts and answers a frame over the size limit with an ERROR
     * frame.
     */
    private static final class SessionTracking extends WebSocketHandlerDecorator {

        private final SessionOutboxes outboxes;

        SessionTracking(WebSocketHandler delegate, SessionOutboxes outboxes) {
            super(delegate);
            this.outboxes = outboxes;
        }

        @Override
        public void afterConnectionEstablished(WebSocketSession session) throws Exception {
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
