package io.chorus.web.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.source.ImmutableSecret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.NimbusJwtEncoder;

class ChorusJwtDecodersTest {

    private final SecretKey key =
            new SecretKeySpec("a-test-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8), "HmacSHA256");

    private static ChorusSecurityProperties.Jwt jwt(String jwkSetUri, String issuer, String audience) {
        return new ChorusSecurityProperties.Jwt(null, jwkSetUri, issuer, audience, Duration.ofHours(1));
    }

    private String token(Consumer<JwtClaimsSet.Builder> claims) {
        JwtClaimsSet.Builder builder =
                JwtClaimsSet.builder().subject("alice").issuedAt(Instant.now().minusSeconds(7200));
        claims.accept(builder);
        return new NimbusJwtEncoder(new ImmutableSecret<>(key))
                .encode(JwtEncoderParameters.from(
                        JwsHeader.with(MacAlgorithm.HS256).build(), builder.build()))
                .getTokenValue();
    }

    private static Instant inAnHour() {
        return Instant.now().plusSeconds(3600);
    }

    @Test
    void aTokenWithoutExpiryIsRefused() {
        JwtDecoder decoder = ChorusJwtDecoders.decoder(jwt(null, null, null), key);

        assertThatThrownBy(() -> decoder.decode(token(claims -> {})))
                .isInstanceOf(JwtException.class)
                .hasMessageContaining("exp");
        assertThat(decoder.decode(token(claims -> claims.expiresAt(inAnHour()))).getSubject())
                .isEqualTo("alice");
    }

    @Test
    void anExpiredTokenIsRefused() {
        JwtDecoder decoder = ChorusJwtDecoders.decoder(jwt(null, null, null), key);

        assertThatThrownBy(() -> decoder.decode(
                        token(claims -> claims.expiresAt(Instant.now().minusSeconds(3600)))))
                .isInstanceOf(JwtException.class);
    }

    @Test
    void theIssuerIsCheckedWhenConfigured() {
        JwtDecoder decoder = ChorusJwtDecoders.decoder(jwt(null, "https://id.example", null), key);

        assertThatThrownBy(() -> decoder.decode(
                        token(claims -> claims.expiresAt(inAnHour()).issuer("https://other.example"))))
                .isInstanceOf(JwtException.class)
                .hasMessageContaining("iss");
        assertThatThrownBy(() -> decoder.decode(token(claims -> claims.expiresAt(inAnHour()))))
                .isInstanceOf(JwtException.class);
        assertThat(decoder.decode(token(claims -> claims.expiresAt(inAnHour()).issuer("https://id.example")))
                        .getSubject())
                .isEqualTo("alice");
    }

    @Test
    void theAudienceIsCheckedWhenConfigured() {
        JwtDecoder decoder = ChorusJwtDecoders.decoder(jwt(null, null, "chorus"), key);

        assertThatThrownBy(() -> decoder.decode(
                        token(claims -> claims.expiresAt(inAnHour()).audience(List.of("billing")))))
                .isInstanceOf(JwtException.class)
                .hasMessageContaining("aud");
        assertThatThrownBy(() -> decoder.decode(token(claims -> claims.expiresAt(inAnHour()))))
                .isInstanceOf(JwtException.class);
        assertThat(decoder.decode(token(claims -> claims.expiresAt(inAnHour()).audience(List.of("billing", "chorus"))))
                        .getSubject())
                .isEqualTo("alice");
    }

    @Test
    void aJwkSetNeedsIssuerAndAudienceButNoSecret() {
        assertThatThrownBy(() -> ChorusJwtDecoders.decoder(jwt("https://id.example/jwks", null, "chorus"), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("chorus.security.jwt.issuer");
        assertThatThrownBy(() ->
                        ChorusJwtDecoders.decoder(jwt("https://id.example/jwks", "https://id.example", null), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("chorus.security.jwt.audience");
        // the key set is fetched at the first token, so a decoder is made without a secret and without the issuer
        assertThat(ChorusJwtDecoders.decoder(jwt("https://id.example/jwks", "https://id.example", "chorus"), null))
                .isNotNull();
    }
}
