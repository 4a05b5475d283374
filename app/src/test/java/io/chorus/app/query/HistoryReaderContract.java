package io.chorus.app.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import io.chorus.query.history.HistoryPage;
import io.chorus.query.history.HistoryReader;
import io.chorus.query.history.MessageView;
import io.chorus.query.history.PageQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The contract of a history reader, run against each implementation: after the same commands, every reader answers
 * every page the same way, and that answer is what the commands imply (order, cursors, exact page boundaries, edits,
 * deletions, an empty group, an unknown group).
 */
@ChorusIT
abstract class HistoryReaderContract {

    /** Messages sent per group: fewer than the recent window holds, so that every reader holds every page. */
    static final int MESSAGES = 130;

    @LocalServerPort
    int port;

    Api api;
    String alice;
    String group;

    /** What the commands imply: seq → text (null when deleted), and which seqs were edited. */
    final TreeMap<Long, String> expected = new TreeMap<>();

    final List<Long> edited = new ArrayList<>();

    @Autowired
    EventStore eventStore;

    abstract HistoryReader reader();

    @BeforeEach
    void setUp() {
        api = new Api(port);
        alice = api.token("alice");
        group = "c-" + UUID.randomUUID().toString().substring(0, 8);
        api.createOpenGroup(alice, group, "C");
    }

    void sendMessages(int count) {
        String bob = api.token("bob");
        assertThat(api.post(bob, "/api/groups/" + group + "/join", null).status())
                .isEqualTo(200);
        for (int i = 0; i < count; i++) {
            String token = i % 3 == 0 ? bob : alice;
            long seq = api.post(
                            token,
                            "/api/groups/" + group + "/messages",
                            Map.of("clientMessageId", "m-" + i, "text", "message " + i + " ✓"))
                    .body()
                    .get("seq")
                    .asLong();
            expected.put(seq, "message " + i + " ✓");
        }
        // an edit and a deletion in the middle and at the end
        for (long seq : List.of(expected.firstKey() + 10, expected.lastKey())) {
            String author = (seq - expected.firstKey()) % 3 == 0 ? bob : alice;
            assertThat(api.patch(author, "/api/groups/" + group + "/messages/" + seq, Map.of("text", "edited " + seq))
                            .status())
                    .isEqualTo(200);
            expected.put(seq, "edited " + seq);
            edited.add(seq);
        }
        long deleted = expected.firstKey() + 20;
        assertThat(api.delete(alice, "/api/groups/" + group + "/messages/" + deleted)
                        .status())
                .isEqualTo(200);
        expected.put(deleted, null);
    }

    HistoryPage page(PageQuery query) {
        return page(reader(), query);
    }

    /** The reader's page once it has applied every event of the group committed so far. */
    HistoryPage page(HistoryReader reader, PageQuery query) {
        long committed = lastCommitted();
        await().atMost(Duration.ofSeconds(15))
                .until(() -> reader.page(group, query)
                        .filter(p -> p.lastSeq() >= committed)
                        .isPresent());
        return reader.page(group, query).orElseThrow();
    }

    /** The group's last committed seq, from the event store. */
    private long lastCommitted() {
        return eventStore.lastSequenceNumberFor(group).map(n -> n + 1).orElse(0L);
    }

    private static List<Long> seqs(HistoryPage page) {
        return page.messages().stream().map(MessageView::seq).toList();
    }

    private List<Long> expectedSeqs() {
        return new ArrayList<>(expected.keySet());
    }

    @Test
    void emptyGroupHasEmptyPages() {
        HistoryPage newest = page(PageQuery.newest(50));
        assertThat(newest.messages()).isEmpty();
        assertThat(newest.hasMore()).isFalse();
        assertThat(page(PageQuery.after(0, 50)).messages()).isEmpty();
        assertThat(page(PageQuery.before(5, 50)).messages()).isEmpty();
    }

    @Test
    void unknownGroupIsNotAnswered() {
        assertThat(reader().page("never-created-" + UUID.randomUUID().toString().substring(0, 8), PageQuery.newest(5)))
                .isEmpty();
    }

    @Test
    void pagesWalkTheHistoryBothWaysWithExactBoundaries() {
        sendMessages(MESSAGES);
        List<Long> all = expectedSeqs();

        // newest page: the last 50 in ascending order, more before it
        HistoryPage newest = page(PageQuery.newest(50));
        assertThat(seqs(newest)).isEqualTo(all.subList(all.size() - 50, all.size()));
        assertThat(newest.hasMore()).isTrue();

        // walking back with before= reaches the first message exactly once each
        List<Long> walked = new ArrayList<>(seqs(newest));
        HistoryPage older = newest;
        while (older.hasMore()) {
            older = page(PageQuery.before(older.messages().get(0).seq(), 50));
            walked.addAll(0, seqs(older));
        }
        assertThat(walked).isEqualTo(all);

        // walking forward with after= from 0 does the same
        List<Long> forward = new ArrayList<>();
        HistoryPage next = page(PageQuery.after(0, 40));
        forward.addAll(seqs(next));
        while (next.hasMore()) {
            next = page(PageQuery.after(
                    next.messages().get(next.messages().size() - 1).seq(), 40));
            forward.addAll(seqs(next));
        }
        assertThat(forward).isEqualTo(all);

        // exact boundaries: exactly `limit` messages left is not "more"; one more is
        long tenthFromEnd = all.get(all.size() - 11);
        assertThat(page(PageQuery.after(tenthFromEnd, 10)).hasMore()).isFalse();
        assertThat(seqs(page(PageQuery.after(tenthFromEnd, 10)))).isEqualTo(all.subList(all.size() - 10, all.size()));
        assertThat(page(PageQuery.after(all.get(all.size() - 12), 10)).hasMore())
                .isTrue();
        assertThat(page(PageQuery.before(all.get(10), 10)).hasMore()).isFalse();
        assertThat(page(PageQuery.before(all.get(11), 10)).hasMore()).isTrue();
        assertThat(page(PageQuery.after(all.get(all.size() - 1), 10)).messages())
                .isEmpty();
        assertThat(page(PageQuery.before(all.get(0), 10)).messages()).isEmpty();
        assertThat(page(PageQuery.after(0, 200)).messages()).hasSize(all.size());
    }

    @Test
    void editedAndDeletedMessagesKeepTheirSeq() {
        sendMessages(40);
        HistoryPage page = page(PageQuery.after(0, 200));
        assertThat(seqs(page)).isEqualTo(expectedSeqs());
        for (MessageView message : page.messages()) {
            String text = expected.get(message.seq());
            assertThat(message.text()).as("text of %s", message.seq()).isEqualTo(text);
            assertThat(message.deleted()).as("deleted %s", message.seq()).isEqualTo(text == null);
            assertThat(message.editedAt() != null)
                    .as("edited %s", message.seq())
                    .isEqualTo(edited.contains(message.seq()));
            assertThat(message.groupId()).isEqualTo(group);
            assertThat(message.sentAt()).isNotNull();
        }
    }

    /** For subclasses: this reader's page equals the other's for a few cursors. */
    void assertSameAnswersAs(HistoryReader other) {
        sendMessages(60);
        List<Long> all = expectedSeqs();
        for (PageQuery query : List.of(
                PageQuery.newest(50),
                PageQuery.newest(7),
                PageQuery.after(0, 25),
                PageQuery.after(all.get(30), 50),
                PageQuery.before(all.get(40), 20))) {
            HistoryPage mine = page(query);
            HistoryPage theirs = page(other, query);
            assertThat(theirs.messages()).as("%s", query).isEqualTo(mine.messages());
            assertThat(theirs.hasMore()).as("%s", query).isEqualTo(mine.hasMore());
        }
    }
}
