package io.chorus.bench.push;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.http.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.DispatcherServletAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.ServletWebServerFactoryAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.autoconfigure.websocket.servlet.WebSocketServletAutoConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.simp.SimpMessagingTemplate;
import org.springframework.messaging.simp.config.MessageBrokerRegistry;
import org.springframework.stereotype.Controller;
import org.springframework.web.socket.config.annotation.EnableWebSocketMessageBroker;
import org.springframework.web.socket.config.annotation.StompEndpointRegistry;
import org.springframework.web.socket.config.annotation.WebSocketMessageBrokerConfigurer;

/**
 * The ceiling of the push benchmark: a bare Spring STOMP app with the simple broker and nothing else: no
 * authentication, no persistence, no seq. A SEND to {@code /app/groups.{id}.messages} is published as it is to
 * {@code /topic/groups.{id}}, the same destinations and the same client harness as Chorus.
 */
@SpringBootConfiguration
@ImportAutoConfiguration({
    ServletWebServerFactoryAutoConfiguration.class,
    DispatcherServletAutoConfiguration.class,
    WebMvcAutoConfiguration.class,
    HttpMessageConvertersAutoConfiguration.class,
    JacksonAutoConfiguration.class,
    WebSocketServletAutoConfiguration.class
})
@EnableWebSocketMessageBroker
@Import(BareBrokerApp.Relay.class)
public class BareBrokerApp implements WebSocketMessageBrokerConfigurer {

    public static void main(String[] args) {
        SpringApplication application = new SpringApplication(BareBrokerApp.class);
        // the Chorus jars on the classpath would otherwise start embedded servers
        application.setDefaultProperties(Map.of("chorus.embedded.enabled", "false", "spring.main.banner-mode", "off"));
        application.run(args);
    }

    @Override
    public void registerStompEndpoints(StompEndpointRegistry registry) {
        registry.addEndpoint("/ws").setAllowedOriginPatterns("*").withSockJS();
    }

    @Override
    public void configureMessageBroker(MessageBrokerRegistry registry) {
        registry.enableSimpleBroker("/topic", "/queue");
        registry.setApplicationDestinationPrefixes("/app");
        registry.setPreservePublishOrder(true);
    }

    /** Publishes what a client sends to the group's topic. */
    @Controller
    static class Relay {

        private final SimpMessagingTemplate broker;

        Relay(SimpMessagingTemplate broker) {
            this.broker = broker;
        }

        @MessageMapping("groups.{groupId}.messages")
        void send(@DestinationVariable String groupId, @Payload Map<String, Object> message) {
            broker.convertAndSend("/topic/groups." + groupId, message);
        }
    }
}
