package io.chorus.web.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import io.chorus.web.problem.Problems;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.core.GrantedAuthorityDefaults;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtEncoder;
import org.springframework.security.oauth2.jwt.NimbusJwtEncoder;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Every {@code /api/**} call needs a bearer JWT whose {@code sub} is the caller; admin and integrator calls need
 * the {@code chorus:admin} and {@code chorus:integrator} scopes. The STOMP endpoint authenticates its CONNECT
 * frame itself. Failures answer as problem details.
 */
@Configuration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableConfigurationProperties(ChorusSecurityProperties.class)
public class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

    /**
     * No "ROLE_" prefix when a role is checked: Chorus's authorities are the token's scopes
     * ({@code SCOPE_chorus:admin}), and actuator asks for them as roles (health details for admins).
     */
    @Bean
    static GrantedAuthorityDefaults grantedAuthorityDefaults() {
        return new GrantedAuthorityDefaults("");
    }

    @Bean
    SecurityFilterChain chorusSecurity(HttpSecurity http, ObjectMapper objectMapper) throws Exception {
        http.csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(auth -> auth.requestMatchers("/api/dev/tokens")
                        .permitAll()
                        .requestMatchers("/api/admin/**")
                        .hasAuthority("SCOPE_chorus:admin")
                        .requestMatchers("/api/events/schemas", "/api/events/schemas/**")
                        .permitAll()
                        .requestMatchers("/api/events/**")
                        .hasAuthority("SCOPE_chorus:integrator")
                        .requestMatchers("/actuator/health/**")
                        .permitAll()
                        .requestMatchers("/actuator/**")
                        .hasAuthority("SCOPE_chorus:admin")
                        .requestMatchers("/api/**")
                        .authenticated()
                        .anyRequest()
                        .permitAll())
                .oauth2ResourceServer(server -> server.jwt(jwt -> {})
                        .authenticationEntryPoint((request, response, e) -> write(
                                objectMapper,
                                response,
                                Problems.problem(HttpStatus.UNAUTHORIZED, "a valid bearer token is required")))
                        .accessDeniedHandler((request, response, e) -> write(
                                objectMapper,
                                response,
                                Problems.problem(HttpStatus.FORBIDDEN, "the token lacks the scope this call needs"))))
                .exceptionHandling(ex -> ex.authenticationEntryPoint((request, response, e) -> write(
                        objectMapper,
                        response,
                        Problems.problem(HttpStatus.UNAUTHORIZED, "a valid bearer token is required"))));
        return http.build();
    }

    /**
     * The HMAC key that signs development tokens and verifies tokens when no JWKS is configured: the configured
     * secret, or with development tokens on and none configured, a random one per start. None with a JWKS.
     */
    @Bean
    JwtKeys jwtKeys(ChorusSecurityProperties properties) {
        ChorusSecurityProperties.Jwt jwt = properties.jwt();
        String secret = jwt.secret();
        if (ChorusJwtDecoders.usesJwkSet(jwt)) {
            if (properties.devTokens()) {
                throw new IllegalStateException("development tokens cannot be verified with"
                        + " chorus.security.jwt.jwk-set-uri: turn chorus.security.dev-tokens off");
            }
            return new JwtKeys(null);
        }
        if (ChorusJwtDecoders.isBlank(secret)) {
            if (!properties.devTokens()) {
                throw new IllegalStateException("chorus.security.jwt.secret (at least 32 bytes) or"
                        + " chorus.security.jwt.jwk-set-uri must be set unless development tokens are on");
            }
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            log.warn("No chorus.security.jwt.secret set: using a random one; tokens will not survive a restart");
            secret = Base64.getEncoder().encodeToString(random);
        }
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 32) {
            throw new IllegalStateException("chorus.security.jwt.secret must be at least 32 bytes for HS256");
        }
        return new JwtKeys(new SecretKeySpec(bytes, "HmacSHA256"));
    }

    /** @param secretKey the HMAC key, or null when a JWKS verifies tokens */
    record JwtKeys(SecretKey secretKey) {}

    @Bean
    JwtDecoder jwtDecoder(ChorusSecurityProperties properties, JwtKeys jwtKeys) {
        return ChorusJwtDecoders.decoder(properties.jwt(), jwtKeys.secretKey());
    }

    @Bean
    @ConditionalOnProperty(name = "chorus.security.dev-tokens", havingValue = "true")
    JwtEncoder jwtEncoder(JwtKeys jwtKeys) {
        return new NimbusJwtEncoder(new ImmutableSecret<>(jwtKeys.secretKey()));
    }

    private static void write(ObjectMapper objectMapper, HttpServletResponse response, ProblemDetail problem)
            throws IOException {
        response.setStatus(problem.getStatus());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        objectMapper.writeValue(response.getOutputStream(), problem);
    }
}
