package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.api.GroupEvent;
import io.chorus.api.message.MessageSentEvent;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.api.message.SendReceiptView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * 16 threads through the REST API and 16 through the command gateway send to one group at once, each also
 * retrying some of its sends; the group's events read back from the event store are seq 1..n without gap or
 * duplicate, with exactly one event per distinct client message id, and every retry got the original seq.
 */
@ChorusIT
class ConcurrentSendsIT {

    private static final int THREADS_PER_PATH = 16;
    private static final int SENDS_PER_THREAD = 20;

    @LocalServerPort
    int port;

    @Autowired
    CommandGateway gateway;

    @Autowired
    EventStore eventStore;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void concurrentSendsToOneGroupAreGapFreeAndIdempotent() throws Exception {
        // given
        Api api = new Api(port);
        String group = "hot-" + UUID.randomUUID().toString().substring(0, 8);
        String owner = api.token("owner");
        assertThat(api.post(owner, "/api/groups", Map.of("groupId", group, "name", "Hot", "visibility", "open"))
                        .status())
                .isEqualTo(201);
        List<String> users = new ArrayList<>();
        for (int t = 0; t < THREADS_PER_PATH * 2; t++) {
            String user = "user" + t;
            users.add(user);
            assertThat(api.post(api.token(user), "/api/groups/" + group + "/join", null)
                            .status())
                    .isEqualTo(200);
        }
        Map<String, Long> seqByClientId = new ConcurrentHashMap<>();
        Map<String, Long> retrySeqByClientId = new ConcurrentHashMap<>();

        // when
        ExecutorService pool = Executors.newFixedThreadPool(THREADS_PER_PATH * 2);
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < THREADS_PER_PATH; t++) {
            String user = users.get(t);
            String token = api.token(user);
            work.add(pool.submit(() -> {
                for (int i = 0; i < SENDS_PER_THREAD; i++) {
                    String clientId = user + "-" + i;
                    Map<String, Object> body = Map.of("clientMessageId", clientId, "text", "rest " + i);
                    Api.Response sent = api.post(token, "/api/groups/" + group + "/messages", body);
                    assertThat(sent.status()).isEqualTo(201);
                    seqByClientId.put(clientId, sent.body().get("seq").asLong());
                    if (i % 4 == 0) {
                        Api.Response retry = api.post(token, "/api/groups/" + group + "/messages", body);
                        assertThat(retry.status()).isEqualTo(200);
                        retrySeqByClientId.put(clientId, retry.body().get("seq").asLong());
                    }
                }
                return null;
            }));
        }
        for (int t = THREADS_PER_PATH; t < THREADS_PER_PATH * 2; t++) {
            String user = users.get(t);
            work.add(pool.submit(() -> {
                for (int i = 0; i < SENDS_PER_THREAD; i++) {
                    String clientId = user + "-" + i;
                    SendMessageCommand command =
                            new SendMessageCommand(group, user, clientId, "gateway " + i, null, Instant.now());
                    SendReceiptView receipt = gateway.sendAndWait(command);
                    assertThat(receipt.duplicate()).isFalse();
                    seqByClientId.put(clientId, receipt.seq());
                    if (i % 4 == 0) {
                        SendReceiptView retry = gateway.sendAndWait(command);
                        assertThat(retry.duplicate()).isTrue();
                        retrySeqByClientId.put(clientId, retry.seq());
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : work) {
            future.get();
        }
        pool.shutdown();

        // then
        List<GroupEvent> events = eventStore
                .readEvents(group, 0)
                .asStream()
                .map(m -> (GroupEvent) m.getPayload())
                .toList();
        int sends = THREADS_PER_PATH * 2 * SENDS_PER_THREAD;
        int expected = 1 + THREADS_PER_PATH * 2 + sends;
        assertThat(events)
                .extracting(GroupEvent::seq)
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, expected).boxed().toList());
        List<MessageSentEvent> messages = events.stream()
                .filter(MessageSentEvent.class::isInstance)
                .map(MessageSentEvent.class::cast)
                .toList();
        Map<String, Long> eventsPerClientId = messages.stream()
                .collect(Collectors.groupingBy(MessageSentEvent::clientMessageId, Collectors.counting()));
        assertThat(eventsPerClientId)
                .hasSize(sends)
                .allSatisfy((id, count) -> assertThat(count).isEqualTo(1));
        Map<String, Long> storedSeq =
                messages.stream().collect(Collectors.toMap(MessageSentEvent::clientMessageId, MessageSentEvent::seq));
        assertThat(seqByClientId).isEqualTo(storedSeq);
        assertThat(retrySeqByClientId)
                .isNotEmpty()
                .allSatisfy((id, seq) -> assertThat(seq).isEqualTo(storedSeq.get(id)));
        Set<Long> distinctSeqs = messages.stream().map(MessageSentEvent::seq).collect(Collectors.toSet());
        assertThat(distinctSeqs).hasSize(sends);
        // group commit: concurrent sends shared transactions (one group's sends never do: they take turns)
        Integer transactions = jdbc.queryForObject(
                "select count(distinct tx_id) from domain_event_entry where aggregate_identifier = ?",
                Integer.class,
                group);
        assertThat(transactions).isEqualTo(expected);
    }
}
