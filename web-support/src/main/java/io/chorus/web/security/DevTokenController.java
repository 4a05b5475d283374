package io.chorus.web.security;

import io.chorus.api.Identifiers;
import io.chorus.web.problem.Problems;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtEncoder;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Hands out signed tokens to anyone; exists only when {@code chorus.security.dev-tokens=true}. */
@RestController
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(name = "chorus.security.dev-tokens", havingValue = "true")
class DevTokenController {

    private static final Set<String> SCOPES = Set.of("chorus:admin", "chorus:integrator");

    private final JwtEncoder encoder;
    private final ChorusSecurityProperties properties;
    private final Clock clock = Clock.systemUTC();

    DevTokenController(JwtEncoder encoder, ChorusSecurityProperties properties) {
        this.encoder = encoder;
        this.properties = properties;
    }

    record TokenRequest(String userId, List<String> scopes) {}

    @PostMapping("/api/dev/tokens")
    ResponseEntity<?> issue(@RequestBody TokenRequest request) {
        if (!Identifiers.isUserId(request.userId())) {
            return Problems.badField("userId", Identifiers.USER_ID_RULE);
        }
        List<String> scopes = request.scopes() == null ? List.of() : request.scopes();
        if (scopes.stream().anyMatch(scope -> scope == null || !SCOPES.contains(scope))) {
            return Problems.badField("scopes", "may only hold chorus:admin and chorus:integrator");
        }
        Instant now = clock.instant();
        ChorusSecurityProperties.Jwt jwt = properties.jwt();
        JwtClaimsSet.Builder claims = JwtClaimsSet.builder()
                .issuer(ChorusJwtDecoders.isBlank(jwt.issuer()) ? "chorus-dev" : jwt.issuer())
                .subject(request.userId())
                .issuedAt(now)
                .expiresAt(now.plus(properties.jwt().devTokenTtl()));
        if (!scopes.isEmpty()) {
            claims.claim("scope", String.join(" ", scopes));
        }
        if (!ChorusJwtDecoders.isBlank(jwt.audience())) {
            claims.audience(List.of(jwt.audience()));
        }
        JwsHeader header = JwsHeader.with(MacAlgorithm.HS256).build();
        String token = encoder.encode(JwtEncoderParameters.from(header, claims.build()))
                .getTokenValue();
        return ResponseEntity.ok(Map.of("token", token));
    }
}
