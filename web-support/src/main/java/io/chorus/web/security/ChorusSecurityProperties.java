package io.chorus.web.security;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How callers are authenticated.
 *
 * @param jwt how bearer tokens are verified
 * @param devTokens whether {@code POST /api/dev/tokens} hands out tokens to anyone (development only)
 */
@ConfigurationProperties("chorus.security")
public record ChorusSecurityProperties(
        @DefaultValue Jwt jwt, @DefaultValue("false") boolean devTokens) {

    /**
     * @param secret HMAC-SHA256 key (at least 32 bytes) shared by every node; with development tokens on and no
     *     secret, a random one is made at startup (tokens then die with the process)
     * @param jwkSetUri an issuer's JWKS address, used instead of the secret when set (then issuer and audience are
     *     required)
     * @param issuer the {@code iss} every token must carry, when set
     * @param audience a value the {@code aud} of every token must hold, when set
     * @param devTokenTtl lifetime of a development token
     */
    public record Jwt(
            String secret,
            String jwkSetUri,
            String issuer,
            String audience,
            @DefaultValue("12h") Duration devTokenTtl) {}
}
