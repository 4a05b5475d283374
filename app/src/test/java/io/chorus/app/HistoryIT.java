package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.app.Api.Response;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The PostgreSQL history projection and the messages page API over real HTTP. */
@ChorusIT
class HistoryIT {

    @LocalServerPort
    int port;

    @Autowired
    CommandGateway commands;

    @Autowired
    DataSource dataSource;

    Api api;
    String alice;
    String bob;
    String group;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        alice = api.token("alice");
        bob = api.token("bob");
        group = "h-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "H");
    }

    private long send(String token, String clientId, String text) {
        return api.post(token, "/api/groups/" + group + "/messages", Map.of("clientMessageId", clientId, "text", text))
                .body()
                .get("seq")
                .asLong();
    }

    private Response page(String token, String query) {
        return api.call("GET", "/api/groups/" + group + "/messages" + query, token, null);
    }

    private static List<Long> seqs(Response response) {
        List<Long> seqs = new ArrayList<>();
        // before the projection has seen the group, the answer is a 404 problem without messages
        response.body().path("messages").forEach(m -> seqs.add(m.get("seq").asLong()));
        return seqs;
    }

    /** The group's last seq as its owner reads it (0 before the projection has seen the group). */
    private long lastSeq(String groupId) {
        return api.call("GET", "/api/groups/" + groupId, alice, null)
                .body()
                .path("lastSeq")
                .asLong();
    }

    private void awaitProjected(long seq) {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> seqs(page(alice, "?after=" + (seq - 1))).contains(seq));
    }

    @Test
    void aReadRightAfterAnAcknowledgedSendSeesIt() {
        for (int i = 0; i < 20; i++) {
            // when a send is acknowledged
            long seq = send(alice, "ryw-" + i, "message " + i);

            // then the very next read after it includes it, without waiting on the caller's side
            Response response = page(alice, "?after=" + (seq - 1));
            assertThat(seqs(response)).containsExactly(seq);
            assertThat(response.header("Chorus-Stale")).isEqualTo("false");
        }
    }

    @Test
    void aBannedMemberReadsNothingWhileTheHistoryProjectionStalls() throws Exception {
        // given bob, a member who reads the group, and then the history projection stalled
        assertThat(api.post(bob, "/api/groups/" + group + "/join", null).status())
                .isEqualTo(200);
        awaitProjected(send(alice, "before-ban", "before the ban"));
        assertThat(page(bob, "").status()).isEqualTo(200);
        // every node on this database (other test contexts in this JVM are nodes too) stalls on the group's row of
        // the history: a transaction here holds it locked in both slots
        Connection lock = dataSource.getConnection();
        lock.setAutoCommit(false);
        for (String slot : List.of("a", "b")) {
            try (var statement =
                    lock.prepareStatement("select 1 from history_group_" + slot + " where group_id = ? for update")) {
                statement.setString(1, group);
                statement.executeQuery().close();
            }
        }
        try {
            // when alice bans bob and sends on
            assertThat(api.delete(alice, "/api/groups/" + group + "/members/bob?ban=true")
                            .status())
                    .isEqualTo(200);
            send(alice, "after-ban", "after the ban");

            // then bob's reads are refused for now, with neither the message nor a stale membership served
            for (Response read : List.of(page(bob, ""), api.call("GET", "/api/groups/" + group, bob, null))) {
                assertThat(read.status()).isEqualTo(503);
                assertThat(read.header("Retry-After")).isEqualTo("1");
                assertThat(read.detail()).contains("catching up");
                assertThat(read.body().toString()).doesNotContain("after the ban");
            }
        } finally {
            lock.rollback();
            lock.close();
        }

        // and once the projection runs again, bob is refused and alice reads the message
        await().atMost(Duration.ofSeconds(10)).until(() -> page(bob, "").status() == 403);
        assertThat(api.call("GET", "/api/groups/" + group, bob, null).status()).isEqualTo(403);
        assertThat(page(alice, "").body().toString()).contains("after the ban");
    }

    @Test
    void aGroupIsRenamedGivenATopicArchivedAndUnarchivedAndReadsShowItAtOnce() {
        assertThat(api.post(bob, "/api/groups/" + group + "/join", null).status())
                .isEqualTo(200);
        String path = "/api/groups/" + group;

        // an owner renames the group and sets its topic; the next read shows both
        assertThat(api.patch(alice, path, Map.of("name", "Design team", "topic", "Sprint 12"))
                        .status())
                .isEqualTo(200);
        JsonNode read = api.call("GET", path, alice, null).body();
        assertThat(read.get("name").asText()).isEqualTo("Design team");
        assertThat(read.get("topic").asText()).isEqualTo("Sprint 12");
        assertThat(read.get("archived").asBoolean()).isFalse();

        // a plain member may not, bad fields are named, and nothing is stored for either
        long before = lastSeq(group);
        assertThat(api.patch(bob, path, Map.of("name", "Bob's")).status()).isEqualTo(403);
        assertThat(api.patch(alice, path, Map.of("topic", "t".repeat(251))).errorFields())
                .containsExactly("topic");
        assertThat(api.patch(alice, path, Map.of("name", "ok", "topic", "t".repeat(251)))
                        .errorFields())
                .containsExactly("topic");
        assertThat(api.patch(alice, path, Map.of()).errorFields()).containsExactly("name");
        assertThat(lastSeq(group)).isEqualTo(before);

        // archived: no sends, with a 409 naming the state; reads and leaving go on
        assertThat(api.post(bob, path + "/archive", null).status()).isEqualTo(403);
        assertThat(api.post(alice, path + "/archive", null).status()).isEqualTo(200);
        assertThat(api.call("GET", path, alice, null).body().get("archived").asBoolean())
                .isTrue();
        Api.Response refused = api.post(alice, path + "/messages", Map.of("clientMessageId", "arch", "text", "no"));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.detail()).contains("is archived");
        assertThat(page(alice, "").status()).isEqualTo(200);
        assertThat(myGroup(alice).get("archived").asBoolean()).isTrue();
        assertThat(myGroup(alice).get("topic").asText()).isEqualTo("Sprint 12");
        assertThat(api.post(bob, path + "/leave", null).status()).isEqualTo(200);
        assertThat(api.post(bob, path + "/join", null).status()).isEqualTo(409);

        // unarchived: sends again
        assertThat(api.delete(alice, path + "/archive").status()).isEqualTo(200);
        assertThat(api.post(alice, path + "/messages", Map.of("clientMessageId", "back", "text", "back"))
                        .status())
                .isEqualTo(201);
        assertThat(api.call("GET", path, alice, null).body().get("archived").asBoolean())
                .isFalse();
    }

    @Test
    void emptyGroupHasAnEmptyPage() {
        await().atMost(Duration.ofSeconds(10)).until(() -> page(alice, "").status() == 200);

        Response response = page(alice, "");

        assertThat(seqs(response)).isEmpty();
        assertThat(response.body().get("hasMore").asBoolean()).isFalse();
    }

    @Test
    void pagesAreInAscendingSeqWithExactBoundaries() {
        // given 12 messages: seq 2..13
        long last = 0;
        for (int i = 0; i < 12; i++) {
            last = send(alice, "c-" + i, "message " + i);
        }
        awaitProjected(last);

        // newest page of 5, then the page before it, and the page after seq 1
        Response newest = page(alice, "?limit=5");
        assertThat(seqs(newest)).containsExactly(9L, 10L, 11L, 12L, 13L);
        assertThat(newest.body().get("hasMore").asBoolean()).isTrue();
        Response older = page(alice, "?before=9&limit=5");
        assertThat(seqs(older)).containsExactly(4L, 5L, 6L, 7L, 8L);
        Response oldest = page(alice, "?before=4&limit=5");
        assertThat(seqs(oldest)).containsExactly(2L, 3L);
        assertThat(oldest.body().get("hasMore").asBoolean()).isFalse();
        Response after = page(alice, "?after=1&limit=12");
        assertThat(seqs(after)).isEqualTo(LongStream.rangeClosed(2, 13).boxed().toList());
        assertThat(after.body().get("hasMore").asBoolean()).isFalse();
        Response exact = page(alice, "?after=1&limit=11");
        assertThat(exact.body().get("hasMore").asBoolean()).isTrue();
    }

    @Test
    void editedAndDeletedMessagesKeepTheirSeq() {
        long edited = send(alice, "c-1", "helo");
        long deleted = send(alice, "c-2", "oops");
        long reply = api.post(
                        alice,
                        "/api/groups/" + group + "/messages",
                        Map.of("clientMessageId", "c-3", "text", "re", "replyToSeq", edited))
                .body()
                .get("seq")
                .asLong();
        api.patch(alice, "/api/groups/" + group + "/messages/" + edited, Map.of("text", "hello"));
        api.delete(alice, "/api/groups/" + group + "/messages/" + deleted);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            JsonNode messages = page(alice, "").body().path("messages");
            return messages.size() == 3 && messages.get(1).get("deleted").asBoolean();
        });

        JsonNode messages = page(alice, "").body().get("messages");

        assertThat(messages.get(0).get("text").asText()).isEqualTo("hello");
        assertThat(messages.get(0).has("editedAt")).isTrue();
        assertThat(messages.get(1).get("seq").asLong()).isEqualTo(deleted);
        assertThat(messages.get(1).get("deleted").asBoolean()).isTrue();
        assertThat(messages.get(1).get("text").isNull()).isTrue();
        assertThat(messages.get(2).get("seq").asLong()).isEqualTo(reply);
        assertThat(messages.get(2).get("replyToSeq").asLong()).isEqualTo(edited);
        assertThat(messages.get(0).has("replyToSeq")).isFalse();
    }

    @Test
    void groupShowsMembersRolesAndLastSeqToMembersOnly() {
        // given
        api.post(bob, "/api/groups/" + group + "/join", null);
        api.put(alice, "/api/groups/" + group + "/members/bob/role", Map.of("role", "admin"));
        long seq = send(bob, "b-1", "hi");

        // when the projection has caught up
        await().atMost(Duration.ofSeconds(10)).until(() -> lastSeq(group) == seq);
        JsonNode view = api.call("GET", "/api/groups/" + group, alice, null).body();

        // then
        assertThat(view.get("groupId").asText()).isEqualTo(group);
        assertThat(view.get("name").asText()).isEqualTo("H");
        assertThat(view.get("visibility").asText()).isEqualTo("open");
        assertThat(view.get("members").toString())
                .isEqualTo("[{\"userId\":\"alice\",\"role\":\"owner\"},{\"userId\":\"bob\",\"role\":\"admin\"}]");
        assertThat(api.call("GET", "/api/groups/" + group, api.token("carol"), null)
                        .status())
                .isEqualTo(403);
        assertThat(api.call("GET", "/api/groups/nosuchgroup", alice, null).status())
                .isEqualTo(404);
    }

    @Test
    void everyGroupOfABatchReachesItsLastSeq() throws Exception {
        // given: twelve groups whose sends interleave, so that the projection's batches hold many groups at once
        List<String> groups = new ArrayList<>();
        for (int g = 0; g < 12; g++) {
            groups.add(group + "-" + g);
            api.createOpenGroup(alice, groups.get(g), "H" + g);
        }
        ExecutorService senders = Executors.newFixedThreadPool(groups.size());
        List<Future<Long>> lastSeqs = new ArrayList<>();

        // when each group gets 15 sends, all groups at once
        try {
            for (String g : groups) {
                lastSeqs.add(senders.submit(() -> {
                    long seq = 0;
                    for (int i = 0; i < 15; i++) {
                        seq = api.post(
                                        alice,
                                        "/api/groups/" + g + "/messages",
                                        Map.of("clientMessageId", "m-" + i, "text", "t" + i))
                                .body()
                                .get("seq")
                                .asLong();
                    }
                    return seq;
                }));
            }
            for (Future<Long> lastSeq : lastSeqs) {
                lastSeq.get(30, TimeUnit.SECONDS);
            }
        } finally {
            senders.shutdownNow();
        }

        // then: each group's last seq is the seq of its last send, whichever batches carried its events
        for (int g = 0; g < groups.size(); g++) {
            String id = groups.get(g);
            long expected = lastSeqs.get(g).get();
            await().atMost(Duration.ofSeconds(10)).until(() -> lastSeq(id) == expected);
        }
    }

    @Test
    void myGroupsCountUnreadMessagesAfterTheReadMarkerWhichOnlyMovesForward() {
        // given bob in the group, and three messages from alice
        api.post(bob, "/api/groups/" + group + "/join", null);
        send(alice, "c-1", "one");
        long second = send(alice, "c-2", "two");
        long third = send(alice, "c-3", "three");
        send(bob, "b-1", "mine");

        // then three unread for bob (his own message does not count)
        await().atMost(Duration.ofSeconds(10))
                .until(() -> myGroup(bob).path("unread").asLong() == 3);
        assertThat(myGroup(bob).get("readSeq").asLong()).isZero();

        // when bob reads up to the second message
        assertThat(api.post(bob, "/api/groups/" + group + "/read", Map.of("seq", second))
                        .status())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> myGroup(bob).path("readSeq").asLong() == second);
        assertThat(myGroup(bob).get("unread").asLong()).isEqualTo(1);

        // a marker moving back changes nothing; beyond the group or from a non-member is refused
        assertThat(api.post(bob, "/api/groups/" + group + "/read", Map.of("seq", 2))
                        .status())
                .isEqualTo(200);
        assertThat(api.post(bob, "/api/groups/" + group + "/read", Map.of("seq", third))
                        .status())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> myGroup(bob).path("readSeq").asLong() == third);
        assertThat(myGroup(bob).get("unread").asLong()).isZero();
        assertThat(api.post(bob, "/api/groups/" + group + "/read", Map.of("seq", 999))
                        .errorFields())
                .containsExactly("seq");
        assertThat(api.post(bob, "/api/groups/" + group + "/read", Map.of()).errorFields())
                .containsExactly("seq");
        assertThat(api.post(api.token("carol"), "/api/groups/" + group + "/read", Map.of("seq", 2))
                        .status())
                .isEqualTo(403);
        assertThat(myGroup(alice).get("name").asText()).isEqualTo("H");
        assertThat(myGroup(alice).get("lastSeq").asLong()).isEqualTo(third + 1);
    }

    private JsonNode myGroup(String token) {
        return myGroups(token, 500).stream()
                .filter(g -> g.get("groupId").asText().equals(group))
                .findFirst()
                .orElse(com.fasterxml.jackson.databind.node.MissingNode.getInstance());
    }

    /** Every page of the caller's groups, following each page's Link to the next. */
    private List<JsonNode> myGroups(String token, int limit) {
        List<JsonNode> all = new ArrayList<>();
        String path = "/api/me/groups?limit=" + limit;
        while (path != null) {
            Response page = api.call("GET", path, token, null);
            assertThat(page.status()).isEqualTo(200);
            page.body().forEach(all::add);
            String link = page.header("Link");
            path = link == null ? null : link.substring(link.indexOf('<') + 1, link.indexOf('>'));
        }
        return all;
    }

    @Test
    void myGroupsComeInPagesMostRecentlyActiveFirstWithUnreadCountsCapped() throws Exception {
        // given five groups of one user, each last active in a known order, and one with more unread than the cap
        String user = "pager-" + UUID.randomUUID().toString().substring(0, 6);
        String token = api.token(user);
        List<String> ids = new ArrayList<>();
        for (int g = 0; g < 5; g++) {
            ids.add(group + "-p" + g);
            api.createOpenGroup(token, ids.get(g), "P" + g);
        }
        for (int g = 0; g < 5; g++) {
            for (int i = 0; i <= g; i++) {
                api.post(
                        token,
                        "/api/groups/" + ids.get(g) + "/messages",
                        Map.of("clientMessageId", "m" + i, "text", "t"));
            }
        }
        String busy = ids.get(0);
        assertThat(api.post(alice, "/api/groups/" + busy + "/join", null).status())
                .isEqualTo(200);
        for (int i = 0; i < 1010; i++) {
            commands.sendAndWait(new SendMessageCommand(busy, "alice", "cap-" + i, "t", null, Instant.now()));
        }

        // then pages of two follow each other with nothing doubled or missed, busiest (highest last seq) first
        await().atMost(Duration.ofSeconds(20))
                .until(() -> myGroups(token, 2).stream()
                                .mapToLong(g -> g.get("lastSeq").asLong())
                                .sum()
                        == 1 + 1012 + 3 + 4 + 5 + 6);
        List<JsonNode> pages = myGroups(token, 2);
        assertThat(pages)
                .extracting(g -> g.get("groupId").asText())
                .containsExactly(busy, ids.get(4), ids.get(3), ids.get(2), ids.get(1));
        assertThat(api.call("GET", "/api/me/groups?limit=2", token, null).body())
                .hasSize(2);
        // and the busy group's unread count stops at the cap
        assertThat(pages.get(0).get("unread").asLong()).isEqualTo(1000);
        assertThat(pages.get(1).get("unread").asLong()).isZero();

        // bad paging parameters name the field
        assertThat(api.call("GET", "/api/me/groups?limit=0", token, null).errorFields())
                .containsExactly("limit");
        assertThat(api.call("GET", "/api/me/groups?limit=501", token, null).errorFields())
                .containsExactly("limit");
        assertThat(api.call("GET", "/api/me/groups?after=nonsense", token, null).errorFields())
                .containsExactly("after");
    }

    @Test
    void onlyMembersReadAndBadCursorsAre400() {
        long seq = send(alice, "c-1", "hi");
        awaitProjected(seq);

        assertThat(page(bob, "").status()).isEqualTo(403);
        assertThat(api.call("GET", "/api/groups/nosuchgroup/messages", alice, null)
                        .status())
                .isEqualTo(404);
        assertThat(page(alice, "?limit=201").errorFields()).containsExactly("limit");
        assertThat(page(alice, "?limit=0").errorFields()).containsExactly("limit");
        assertThat(page(alice, "?after=-1").errorFields()).containsExactly("after");
        assertThat(page(alice, "?after=abc").errorFields()).containsExactly("after");
        assertThat(page(alice, "?before=99999999999999999999").errorFields()).containsExactly("before");
        assertThat(page(alice, "?after=1&before=5").status()).isEqualTo(400);
        assertThat(page(null, "").status()).isEqualTo(401);

        // once bob joins, he reads
        api.post(bob, "/api/groups/" + group + "/join", null);
        await().atMost(Duration.ofSeconds(10)).until(() -> page(bob, "").status() == 200);
    }

    @Test
    void theProjectionsThreadsYieldToLiveTraffic() {
        // given a message the projections have applied
        long seq = send(alice, "bg-1", "applied in the background");
        awaitProjected(seq);

        // then the threads that read the stream for them and those that applied it have the lowest priority
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            for (String projection : List.of("history", "recent")) {
                assertThat(priorities("Coordinator[" + projection + "-"))
                        .isNotEmpty()
                        .containsOnly(Thread.MIN_PRIORITY);
                assertThat(priorities("WorkPackage[" + projection + "-")).contains(Thread.MIN_PRIORITY);
            }
        });
        // and the threads that take sends keep theirs
        assertThat(priorities("http-nio-")).isNotEmpty().containsOnly(Thread.NORM_PRIORITY);
    }

    private static List<Integer> priorities(String threadNamePrefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith(threadNamePrefix))
                .map(Thread::getPriority)
                .toList();
    }
}
