package io.chorus.web.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

/**
 * Remembers tokens it has verified for a short while, so a client sending many requests with one token pays for
 * the signature check once a minute rather than on every request. A remembered token is still refused once it
 * expires.
 */
final class CachingJwtDecoder implements JwtDecoder {

    private final JwtDecoder delegate;
    private final Cache<String, Jwt> verified;
    private final Clock clock;

    CachingJwtDecoder(JwtDecoder delegate, Duration remember, long maximumTokens, Clock clock) {
        this.delegate = delegate;
        this.clock = clock;
        this.verified = Caffeine.newBuilder()
                .maximumSize(maximumTokens)
                .expireAfterWrite(remember)
                .build();
    }

    @Override
    public Jwt decode(String token) throws JwtException {
        Jwt jwt = verified.getIfPresent(token);
        if (jwt == null) {
            jwt = delegate.decode(token);
            verified.put(token, jwt);
            return jwt;
        }
        Instant expiresAt = jwt.getExpiresAt();
        if (expiresAt != null && !clock.instant().isBefore(expiresAt)) {
            verified.invalidate(token);
            throw new BadJwtException("Jwt expired at " + expiresAt);
        }
        return jwt;
    }

    /** For tests: whether a decode of this token would be answered from memory. */
    boolean remembers(String token) {
        return verified.getIfPresent(token) != null;
    }
}
