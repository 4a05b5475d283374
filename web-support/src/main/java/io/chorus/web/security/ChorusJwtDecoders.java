package io.chorus.web.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.crypto.SecretKey;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;

/**
 * How bearer tokens are verified, the same for REST and STOMP: the signature (an issuer's JWKS, or else the shared
 * HMAC secret), a time stamp check, an expiry that must be there (a token that never expires cannot be taken back),
 * and the issuer and audience when they are configured. With a JWKS both must be configured: a key set is shared by
 * every application of its issuer, and a token minted for another one must not open Chorus.
 */
final class ChorusJwtDecoders {

    private ChorusJwtDecoders() {}

    /** @param secretKey the HMAC key, or null when a JWKS verifies */
    static JwtDecoder decoder(ChorusSecurityProperties.Jwt jwt, SecretKey secretKey) {
        NimbusJwtDecoder decoder;
        if (usesJwkSet(jwt)) {
            if (isBlank(jwt.issuer()) || isBlank(jwt.audience())) {
                throw new IllegalStateException("with chorus.security.jwt.jwk-set-uri, chorus.security.jwt.issuer and"
                        + " chorus.security.jwt.audience must be set too: the key set signs tokens for other"
                        + " applications of that issuer as well");
            }
            decoder = NimbusJwtDecoder.withJwkSetUri(jwt.jwkSetUri()).build();
        } else {
            decoder = NimbusJwtDecoder.withSecretKey(Objects.requireNonNull(secretKey, "secretKey"))
                    .macAlgorithm(MacAlgorithm.HS256)
                    .build();
        }
        decoder.setJwtValidator(validator(jwt));
        return new CachingJwtDecoder(decoder, Duration.ofMinutes(1), 10_000, Clock.systemUTC());
    }

    static boolean usesJwkSet(ChorusSecurityProperties.Jwt jwt) {
        return !isBlank(jwt.jwkSetUri());
    }

    static OAuth2TokenValidator<Jwt> validator(ChorusSecurityProperties.Jwt jwt) {
        List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
        validators.add(JwtValidators.createDefault());
        validators.add(new JwtClaimValidator<Instant>(JwtClaimNames.EXP, Objects::nonNull));
        if (!isBlank(jwt.issuer())) {
            validators.add(new JwtIssuerValidator(jwt.issuer()));
        }
        if (!isBlank(jwt.audience())) {
            String audience = jwt.audience();
            validators.add(new JwtClaimValidator<List<String>>(
                    JwtClaimNames.AUD, aud -> aud != null && aud.contains(audience)));
        }
        return new DelegatingOAuth2TokenValidator<>(validators);
    }

    static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
