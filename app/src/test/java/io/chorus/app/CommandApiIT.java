package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.app.Api.Response;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtEncoder;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;

@ChorusIT
class CommandApiIT {

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    JwtEncoder jwtEncoder;

    Api api;
    String alice;
    String bob;
    String carol;
    String group;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        alice = api.token("alice");
        bob = api.token("bob");
        carol = api.token("carol");
        group = "g-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private Response createGroup(String token, String groupId, String visibility) {
        return api.post(token, "/api/groups", Map.of("groupId", groupId, "name", "Design", "visibility", visibility));
    }

    private Response send(String token, String clientMessageId, String text) {
        return api.post(
                token, "/api/groups/" + group + "/messages", Map.of("clientMessageId", clientMessageId, "text", text));
    }

    private int storedEvents(String groupId) {
        return jdbc.queryForObject(
                "select count(*) from domain_event_entry where aggregate_identifier = ?", Integer.class, groupId);
    }

    @Nested
    class Authentication {

        @Test
        void noTokenIs401AsAProblem() {
            Response response = api.post(null, "/api/groups", Map.of("name", "x", "visibility", "open"));

            assertThat(response.status()).isEqualTo(401);
            assertThat(response.contentType()).startsWith("application/problem+json");
            assertThat(response.body().path("status").asInt()).isEqualTo(401);
        }

        @Test
        void tokenSignedWithAnotherKeyIs401() {
            String[] parts = alice.split("\\.");
            String forged = parts[0] + "." + parts[1] + "." + "AAAA" + parts[2].substring(4);

            assertThat(api.post(forged, "/api/groups", Map.of("name", "x", "visibility", "open"))
                            .status())
                    .isEqualTo(401);
        }

        @Test
        void expiredTokenIs401() {
            Instant past = Instant.now().minusSeconds(3600);
            String expired = jwtEncoder
                    .encode(JwtEncoderParameters.from(
                            JwsHeader.with(MacAlgorithm.HS256).build(),
                            JwtClaimsSet.builder()
                                    .subject("alice")
                                    .issuedAt(past.minusSeconds(60))
                                    .expiresAt(past)
                                    .build()))
                    .getTokenValue();

            assertThat(api.post(expired, "/api/groups", Map.of("name", "x", "visibility", "open"))
                            .status())
                    .isEqualTo(401);
        }

        @Test
        void tokenWithoutExpiryIs401() {
            String neverExpires = jwtEncoder
                    .encode(JwtEncoderParameters.from(
                            JwsHeader.with(MacAlgorithm.HS256).build(),
                            JwtClaimsSet.builder()
                                    .subject("alice")
                                    .issuedAt(Instant.now())
                                    .build()))
                    .getTokenValue();

            assertThat(api.post(neverExpires, "/api/groups", Map.of("name", "x", "visibility", "open"))
                            .status())
                    .isEqualTo(401);
        }

        @Test
        void devTokenWithANullScopeIs400NamingScopes() {
            Response response = api.call(
                    "POST",
                    "/api/dev/tokens",
                    null,
                    Map.of("userId", "alice", "scopes", java.util.Arrays.asList((String) null)));

            assertThat(response.status()).isEqualTo(400);
            assertThat(response.errorFields()).containsExactly("scopes");
        }

        @Test
        void devTokenRejectsAMalformedUserId() {
            Response response = api.call("POST", "/api/dev/tokens", null, Map.of("userId", "bad user"));

            assertThat(response.status()).isEqualTo(400);
            assertThat(response.errorFields()).containsExactly("userId");
        }
    }

    @Nested
    class Groups {

        @Test
        void createAnswers201WithTheIdAndTheCreatorIsOwner() {
            Response response = createGroup(alice, group, "open");

            assertThat(response.status()).isEqualTo(201);
            assertThat(response.body().get("groupId").asText()).isEqualTo(group);
            assertThat(response.location()).isEqualTo("/api/groups/" + group);
            // the owner may add members: proof of the role
            assertThat(api.post(alice, "/api/groups/" + group + "/members", Map.of("userId", "bob"))
                            .status())
                    .isEqualTo(200);
        }

        @Test
        void createWithoutAnIdGeneratesOne() {
            Response response = api.post(alice, "/api/groups", Map.of("name", "Design", "visibility", "invite"));

            assertThat(response.status()).isEqualTo(201);
            assertThat(response.body().get("groupId").asText()).matches("[0-9a-f-]{36}");
        }

        @Test
        void takenIdIs409AndStoresNothing() {
            createGroup(alice, group, "open");

            Response response = createGroup(bob, group, "invite");

            assertThat(response.status()).isEqualTo(409);
            assertThat(storedEvents(group)).isEqualTo(1);
        }

        @Test
        void badFieldsAre400NamingTheField() {
            Response visibility = createGroup(alice, group, "public");
            Response name = api.post(alice, "/api/groups", Map.of("groupId", group, "name", " ", "visibility", "open"));
            Response id = createGroup(alice, "has.dot", "open");

            assertThat(visibility.status()).isEqualTo(400);
            assertThat(visibility.errorFields()).containsExactly("visibility");
            assertThat(name.errorFields()).containsExactly("name");
            assertThat(id.errorFields()).containsExactly("groupId");
            assertThat(storedEvents(group)).isZero();
        }

        @Test
        void unknownGroupIs404() {
            Response response = api.post(bob, "/api/groups/nosuchgroup/join", null);

            assertThat(response.status()).isEqualTo(404);
            assertThat(response.detail()).contains("nosuchgroup");
        }

        @Test
        void openGroupIsJoinedAndLeft() {
            createGroup(alice, group, "open");

            assertThat(api.post(bob, "/api/groups/" + group + "/join", null).status())
                    .isEqualTo(200);
            assertThat(send(bob, "b-1", "hi").status()).isEqualTo(201);
            assertThat(api.post(bob, "/api/groups/" + group + "/leave", null).status())
                    .isEqualTo(200);
            assertThat(send(bob, "b-2", "still here?").status()).isEqualTo(403);
        }

        @Test
        void inviteOnlyGroupIsEnteredOnlyByAnAdd() {
            createGroup(alice, group, "invite");

            assertThat(api.post(bob, "/api/groups/" + group + "/join", null).status())
                    .isEqualTo(403);
            assertThat(api.post(alice, "/api/groups/" + group + "/members", Map.of("userId", "bob", "role", "admin"))
                            .status())
                    .isEqualTo(200);
            // bob, now admin, adds carol
            assertThat(api.post(bob, "/api/groups/" + group + "/members", Map.of("userId", "carol"))
                            .status())
                    .isEqualTo(200);
            assertThat(send(carol, "c-1", "hello").status()).isEqualTo(201);
        }

        @Test
        void banKeepsAUserOutUntilUnbanned() {
            createGroup(alice, group, "open");
            api.post(bob, "/api/groups/" + group + "/join", null);

            assertThat(api.delete(alice, "/api/groups/" + group + "/members/bob?ban=true")
                            .status())
                    .isEqualTo(200);
            assertThat(api.post(bob, "/api/groups/" + group + "/join", null).status())
                    .isEqualTo(403);
            assertThat(api.post(alice, "/api/groups/" + group + "/members", Map.of("userId", "bob"))
                            .status())
                    .isEqualTo(409);
            assertThat(api.delete(alice, "/api/groups/" + group + "/bans/bob").status())
                    .isEqualTo(200);
            assertThat(api.post(bob, "/api/groups/" + group + "/join", null).status())
                    .isEqualTo(200);
        }

        @Test
        void rolesAreChangedByOwnersAndTheLastOwnerStays() {
            createGroup(alice, group, "open");
            api.post(bob, "/api/groups/" + group + "/join", null);

            assertThat(api.put(bob, "/api/groups/" + group + "/members/bob/role", Map.of("role", "owner"))
                            .status())
                    .isEqualTo(403);
            assertThat(api.put(alice, "/api/groups/" + group + "/members/alice/role", Map.of("role", "member"))
                            .status())
                    .isEqualTo(409);
            assertThat(api.put(alice, "/api/groups/" + group + "/members/bob/role", Map.of("role", "superuser"))
                            .errorFields())
                    .containsExactly("role");
            assertThat(api.put(alice, "/api/groups/" + group + "/members/bob/role", Map.of("role", "owner"))
                            .status())
                    .isEqualTo(200);
            assertThat(api.post(alice, "/api/groups/" + group + "/leave", null).status())
                    .isEqualTo(200);
        }

        @Test
        void plainMemberCannotKick() {
            createGroup(alice, group, "open");
            api.post(bob, "/api/groups/" + group + "/join", null);
            api.post(carol, "/api/groups/" + group + "/join", null);

            assertThat(api.delete(bob, "/api/groups/" + group + "/members/carol")
                            .status())
                    .isEqualTo(403);
        }
    }

    @Nested
    class Messages {

        @BeforeEach
        void groupWithBob() {
            createGroup(alice, group, "open");
            api.post(bob, "/api/groups/" + group + "/join", null);
        }

        @Test
        void sendAnswers201WithSeqAndARetryAnswers200WithTheSameAnswer() {
            Response first = send(alice, "c-1", "hello");
            Response retry = send(alice, "c-1", "hello");

            assertThat(first.status()).isEqualTo(201);
            assertThat(first.body().get("seq").asLong()).isEqualTo(3);
            assertThat(first.body().get("messageId").asText()).isNotBlank();
            assertThat(first.body().get("sentAt").asText()).endsWith("Z");
            assertThat(retry.status()).isEqualTo(200);
            assertThat(retry.body()).isEqualTo(first.body());
            assertThat(storedEvents(group)).isEqualTo(3);
        }

        @Test
        void sameClientMessageIdWithAnotherTextIs409() {
            send(alice, "c-1", "hello");

            Response response = send(alice, "c-1", "goodbye");

            assertThat(response.status()).isEqualTo(409);
            assertThat(response.detail()).contains("c-1");
            assertThat(storedEvents(group)).isEqualTo(3);
        }

        @Test
        void textOverTheLimitIs413NamingText() {
            Response response = send(alice, "c-1", "x".repeat(4001));

            assertThat(response.status()).isEqualTo(413);
            assertThat(response.errorFields()).containsExactly("text");
            assertThat(send(alice, "c-2", "x".repeat(4000)).status()).isEqualTo(201);
        }

        @Test
        void badTextIs400() {
            assertThat(send(alice, "c-1", "  ").errorFields()).containsExactly("text");
            assertThat(send(alice, "c-2", "nul\u0000byte").errorFields()).containsExactly("text");
            Response missingId = api.post(alice, "/api/groups/" + group + "/messages", Map.of("text", "hi"));
            assertThat(missingId.errorFields()).containsExactly("clientMessageId");
            assertThat(storedEvents(group)).isEqualTo(2);
        }

        @Test
        void wrongTypesAndMalformedJsonAre400() {
            Response wrongType = api.post(
                    alice,
                    "/api/groups/" + group + "/messages",
                    Map.of("clientMessageId", "c-1", "text", "hi", "replyToSeq", "abc"));
            Response malformed = api.post(alice, "/api/groups/" + group + "/messages", "{\"text\": ");
            Response badSeq = api.patch(alice, "/api/groups/" + group + "/messages/abc", Map.of("text", "x"));

            assertThat(wrongType.status()).isEqualTo(400);
            assertThat(wrongType.errorFields()).containsExactly("replyToSeq");
            assertThat(malformed.status()).isEqualTo(400);
            assertThat(malformed.contentType()).startsWith("application/problem+json");
            assertThat(badSeq.status()).isEqualTo(400);
            assertThat(badSeq.errorFields()).containsExactly("seq");
            assertThat(storedEvents(group)).isEqualTo(2);
        }

        @Test
        void nonMemberCannotSendAndSenderCannotBeSpoofed() {
            assertThat(send(carol, "c-1", "let me in").status()).isEqualTo(403);

            Response spoofed = api.post(
                    bob,
                    "/api/groups/" + group + "/messages",
                    Map.of("clientMessageId", "b-1", "text", "hi", "senderId", "alice"));
            assertThat(spoofed.status()).isEqualTo(201);
            String sender = jdbc.queryForObject(
                    "select convert_from(payload, 'UTF8')::json ->> 'senderId' from domain_event_entry"
                            + " where aggregate_identifier = ? and sequence_number = 2",
                    String.class,
                    group);
            assertThat(sender).isEqualTo("bob");
        }

        @Test
        void replyMustPointAtAMessage() {
            long seq = send(alice, "c-1", "question").body().get("seq").asLong();

            Response reply = api.post(
                    bob,
                    "/api/groups/" + group + "/messages",
                    Map.of("clientMessageId", "b-1", "text", "answer", "replyToSeq", seq));
            Response toMembership = api.post(
                    bob,
                    "/api/groups/" + group + "/messages",
                    Map.of("clientMessageId", "b-2", "text", "answer", "replyToSeq", 2));

            assertThat(reply.status()).isEqualTo(201);
            assertThat(toMembership.status()).isEqualTo(400);
            assertThat(toMembership.errorFields()).containsExactly("replyToSeq");
        }

        @Test
        void authorEditsAndAdminDeletesAndADeletedMessageStaysDeleted() {
            long seq = send(bob, "b-1", "helo").body().get("seq").asLong();
            String path = "/api/groups/" + group + "/messages/" + seq;

            assertThat(api.patch(alice, path, Map.of("text", "hello")).status()).isEqualTo(403);
            assertThat(api.patch(bob, path, Map.of("text", "hello")).status()).isEqualTo(200);
            assertThat(api.delete(alice, path).status()).isEqualTo(200);
            assertThat(api.patch(bob, path, Map.of("text", "again")).status()).isEqualTo(409);
            assertThat(api.patch(bob, "/api/groups/" + group + "/messages/999", Map.of("text", "x"))
                            .status())
                    .isEqualTo(404);
            assertThat(storedEvents(group)).isEqualTo(5);
        }

        @Test
        void everyStoredEventCarriesSeqEqualToItsPositionInTheGroup() {
            send(alice, "c-1", "one");
            send(bob, "b-1", "two");
            api.post(carol, "/api/groups/" + group + "/join", null);

            List<Map<String, Object>> rows = jdbc.queryForList(
                    "select sequence_number, (convert_from(payload, 'UTF8')::json ->> 'seq')::bigint as seq"
                            + " from domain_event_entry where aggregate_identifier = ? order by sequence_number",
                    group);

            assertThat(rows).hasSize(5);
            for (Map<String, Object> row : rows) {
                assertThat(((Number) row.get("seq")).longValue())
                        .isEqualTo(((Number) row.get("sequence_number")).longValue() + 1);
            }
        }
    }
}
