package io.chorus.web.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.source.ImmutableSecret;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtEncoder;

class CachingJwtDecoderTest {

    private final SecretKey key =
            new SecretKeySpec("a-test-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8), "HmacSHA256");

    private String token(Instant expiresAt) {
        return new NimbusJwtEncoder(new ImmutableSecret<>(key))
                .encode(JwtEncoderParameters.from(
                        JwsHeader.with(MacAlgorithm.HS256).build(),
                        JwtClaimsSet.builder()
                                .subject("alice")
                                .issuedAt(expiresAt.minusSeconds(600))
                                .expiresAt(expiresAt)
                                .build()))
                .getTokenValue();
    }

    private CachingJwtDecoder decoder(Clock clock) {
        return new CachingJwtDecoder(
                NimbusJwtDecoder.withSecretKey(key)
                        .macAlgorithm(MacAlgorithm.HS256)
                        .build(),
                Duration.ofMinutes(1),
                100,
                clock);
    }

    @Test
    void aVerifiedTokenIsRememberedAndDecodesTheSame() {
        CachingJwtDecoder decoder = decoder(Clock.systemUTC());
        String token = token(Instant.now().plusSeconds(300));

        assertThat(decoder.decode(token).getSubject()).isEqualTo("alice");
        assertThat(decoder.remembers(token)).isTrue();
        assertThat(decoder.decode(token).getSubject()).isEqualTo("alice");
    }

    @Test
    void aForgedTokenIsNeverRemembered() {
        CachingJwtDecoder decoder = decoder(Clock.systemUTC());
        String token = token(Instant.now().plusSeconds(300));
        String forged = token.substring(0, token.length() - 4) + "AAAA";

        assertThatThrownBy(() -> decoder.decode(forged)).isInstanceOf(JwtException.class);
        assertThat(decoder.remembers(forged)).isFalse();
    }

    @Test
    void aRememberedTokenIsRefusedOnceItExpires() {
        // given a token remembered while valid
        Instant expiry = Instant.now().plusSeconds(30);
        String token = token(expiry);
        Clock[] clock = {Clock.systemUTC()};
        CachingJwtDecoder decoder = new CachingJwtDecoder(
                NimbusJwtDecoder.withSecretKey(key)
                        .macAlgorithm(MacAlgorithm.HS256)
                        .build(),
                Duration.ofMinutes(1),
                100,
                new Clock() {
                    @Override
                    public ZoneOffset getZone() {
                        return ZoneOffset.UTC;
                    }

                    @Override
                    public Clock withZone(java.time.ZoneId zone) {
                        return this;
                    }

                    @Override
                    public Instant instant() {
                        return clock[0].instant();
                    }
                });
        decoder.decode(token);

        // when time passes its expiry
        clock[0] = Clock.fixed(expiry.plusSeconds(1), ZoneOffset.UTC);

        // then
        assertThatThrownBy(() -> decoder.decode(token)).isInstanceOf(JwtException.class);
    }
}
