package io.chorus.app.chaos;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chorus.app.Api.Response;
import io.chorus.app.process.ChorusProcess;
import io.chorus.app.push.StompClient;
import io.chorus.invariants.InvariantChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The chaos suite's mixed workload, written as a careful client writes it: sends by REST and by STOMP that are sent
 * again with the same client message id, through whichever node answers, until the server acknowledges them (or
 * refuses them for a reason that is the client's own); membership changes; subscribers that reconnect and resume.
 * It records every acknowledged send and everything every subscriber received, for the invariant checker.
 */
final class ChaosWorkload {

    /** How long a client keeps sending one message again before it gives up (a send it gave up is not acked). */
    private static final Duration PATIENCE = Duration.ofMinutes(3);

    private final ChaosCluster cluster;
    private final Map<String, String> tokens;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Queue<InvariantChecker.Ack> acks = new ConcurrentLinkedQueue<>();
    final List<ResumingSubscriber> subscribers = new CopyOnWriteArrayList<>();
    final LongAdder resends = new LongAdder();
    final LongAdder refusedSends = new LongAdder();
    final LongAdder abandonedSends = new LongAdder();
    final LongAdder membershipChanges = new LongAdder();
    final LongAdder stompReconnects = new LongAdder();
    /** What made clients send again, by kind (status and detail, or the exception), with how often it happened. */
    final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

    /** @param tokens a token per user id */
    ChaosWorkload(ChaosCluster cluster, Map<String, String> tokens) {
        this.cluster = cluster;
        this.tokens = tokens;
    }

    List<InvariantChecker.Ack> acks() {
        return List.copyOf(acks);
    }

    boolean running() {
        return running.get();
    }

    void stop() {
        running.set(false);
    }

    static void pause(long millis) {
        LockSupport.parkNanos(Duration.ofMillis(millis).toNanos());
    }

    /** Sends {@code user}'s messages by REST to the groups in turn, each until acknowledged. */
    void restSender(String name, String user, List<String> groups, long seed) {
        Random random = new Random(seed);
        for (int i = 0; running(); i++) {
            String group = groups.get(i % groups.size());
            sendByRest(user, group, name + "-" + i, name + " says " + i, random);
            pause(10 + random.nextInt(30));
        }
    }

    /**
     * One send by REST, sent again with the same client message id after a failure that leaves its fate unknown (no
     * answer, a 5xx, a 409 that stored nothing, a 429) until the server answers for it.
     *
     * @return the acknowledged seq; empty if the server refused it (403: not a member now), the client gave up, or
     *     the workload stopped meanwhile
     */
    OptionalLong sendByRest(String user, String group, String clientMessageId, String text, Random random) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (running() && System.nanoTime() < deadline) {
            Optional<Response> reply = callSomeNode(
                    "POST",
                    "/api/groups/" + group + "/messages",
                    user,
                    Map.of("clientMessageId", clientMessageId, "text", text),
                    random);
            if (reply.isEmpty()) {
                failed("REST no answer (no node up, or it went away)");
                continue;
            }
            Response answer = reply.get();
            if (answer.status() == 201 || answer.status() == 200) {
                long seq = answer.body().get("seq").asLong();
                acks.add(new InvariantChecker.Ack(group, user, clientMessageId, seq));
                return OptionalLong.of(seq);
            }
            if (answer.status() == 403) {
                refusedSends.increment();
                return OptionalLong.empty();
            }
            boolean unknownFate = answer.status() >= 500
                    || answer.status() == 429
                    || (answer.status() == 409 && answer.detail().contains("nothing was stored"));
            if (!unknownFate) {
                throw new AssertionError(
                        clientMessageId + " to " + group + " answered " + answer.status() + ": " + answer.body());
            }
            failed("REST " + answer.status() + " " + answer.detail());
            pause(100);
        }
        if (running()) {
            abandonedSends.increment();
        }
        return OptionalLong.empty();
    }

    /** Sends {@code user}'s messages over STOMP, each until acknowledged on /user/queue/acks, reconnecting as needed. */
    void stompSender(String name, String user, String group, long seed) {
        Random random = new Random(seed);
        StompClient client = null;
        StompClient.Connection connection = null;
        try {
            for (int i = 0; running(); i++) {
                String clientMessageId = name + "-" + i;
                long deadline = System.nanoTime() + PATIENCE.toNanos();
                boolean answered = false;
                while (!answered && running() && System.nanoTime() < deadline) {
                    if (connection == null || !connection.connected()) {
                        if (client != null) {
                            client.close();
                            stompReconnects.increment();
                        }
                        client = null;
                        connection = null;
                        Optional<ChorusProcess> node = cluster.live(random.nextInt(cluster.size()));
                        if (node.isEmpty()) {
                            pause(200);
                            continue;
                        }
                        client = new StompClient(node.get().port());
                        try {
                            connection = client.connect(tokens.get(user));
                            connection.subscribeAcks();
                        } catch (Exception notNow) { // refused, or no ack for the probe: the node is coming or going
                            connection = null;
                            pause(200);
                            continue;
                        }
                    }
                    answered = sendOverStomp(connection, user, group, clientMessageId, name + " says " + i);
                }
                if (!answered && running()) {
                    abandonedSends.increment();
                }
                pause(10 + random.nextInt(30));
            }
        } finally {
            if (client != null) {
                client.close();
            }
        }
    }

    /** One SEND and its ack; false when the fate is unknown (no ack in time, connection lost, a 5xx or a lost race). */
    private boolean sendOverStomp(
            StompClient.Connection connection, String user, String group, String clientMessageId, String text) {
        // the answer to an earlier attempt is no answer to this one
        connection.acks.removeIf(ack -> ack.path("clientMessageId").asText().equals(clientMessageId));
        try {
            connection.send(group, clientMessageId, text);
        } catch (RuntimeException lost) {
            failed("STOMP send " + lost.getClass().getSimpleName());
            return false;
        }
        JsonNode ack;
        try {
            ack = await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> ackFor(connection, clientMessageId), a -> a != null || !connection.connected());
        } catch (ConditionTimeoutException noAck) {
            failed("STOMP no ack within 15 s");
            connection.disconnect(); // a client that hears nothing starts over on a fresh connection
            return false;
        }
        if (ack == null) {
            failed("STOMP connection lost before the ack");
            return false;
        }
        if (ack.has("seq")) {
            acks.add(new InvariantChecker.Ack(
                    group, user, clientMessageId, ack.get("seq").asLong()));
            return true;
        }
        int status = ack.at("/error/status").asInt();
        if (status == 403) {
            refusedSends.increment();
            return true;
        }
        if (status >= 500 || status == 409 || status == 429) {
            failed("STOMP " + status + " " + ack.at("/error/detail").asText());
            pause(100);
            return false;
        }
        throw new AssertionError(clientMessageId + " to " + group + " got the ack " + ack);
    }

    private void failed(String kind) {
        resends.increment();
        failures.computeIfAbsent(kind.length() > 120 ? kind.substring(0, 120) : kind, k -> new LongAdder())
                .increment();
    }

    private static JsonNode ackFor(StompClient.Connection connection, String clientMessageId) {
        for (JsonNode ack : connection.acks) {
            if (ack.path("clientMessageId").asText().equals(clientMessageId)) {
                return ack;
            }
        }
        return null;
    }

    /**
     * Membership changes: {@code joiner} joins the open group, sends two messages and leaves; the owner adds
     * {@code added} to another group and removes them again.
     */
    void membershipChurn(String owner, String joiner, String joinGroup, String added, String addGroup, long seed) {
        Random random = new Random(seed);
        for (int i = 0; running(); i++) {
            change(joiner, "POST", "/api/groups/" + joinGroup + "/join", null, random);
            sendByRest(joiner, joinGroup, "churn-" + i + "-a", joiner + " was here " + i, random);
            sendByRest(joiner, joinGroup, "churn-" + i + "-b", joiner + " is leaving " + i, random);
            change(joiner, "POST", "/api/groups/" + joinGroup + "/leave", null, random);
            change(owner, "POST", "/api/groups/" + addGroup + "/members", Map.of("userId", added), random);
            change(owner, "DELETE", "/api/groups/" + addGroup + "/members/" + added, null, random);
            pause(50 + random.nextInt(100));
        }
    }

    /**
     * A membership change, tried again while its fate is unknown; a 4xx after a retry is the earlier attempt having
     * taken effect (already a member, no longer one) and ends it as well.
     */
    private void change(String user, String method, String path, Object body, Random random) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (running() && System.nanoTime() < deadline) {
            Optional<Response> answer = callSomeNode(method, path, user, body, random);
            if (answer.isPresent()) {
                if (answer.get().status() < 500 && !answer.get().detail().contains("nothing was stored")) {
                    if (answer.get().status() < 300) {
                        membershipChanges.increment();
                    }
                    return;
                }
                pause(100);
            }
        }
    }

    /**
     * One call through a node that runs, as a client that does not know which node is up makes it; empty when no
     * node runs (after a pause) or the node gave no answer (it went away meanwhile; after a pause too).
     */
    private Optional<Response> callSomeNode(String method, String path, String user, Object body, Random random) {
        Optional<ChorusProcess> node = cluster.live(random.nextInt(cluster.size()));
        if (node.isEmpty()) {
            pause(200);
            return Optional.empty();
        }
        try {
            return Optional.of(node.get().api().call(method, path, tokens.get(user), body));
        } catch (RuntimeException noAnswer) {
            pause(100);
            return Optional.empty();
        }
    }

    /** Keeps every subscriber connected; now and then one drops its connection and resumes, as phones do. */
    void superviseSubscribers(long seed) {
        Random random = new Random(seed);
        long nextVoluntary = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (running()) {
            for (ResumingSubscriber subscriber : subscribers) {
                subscriber.keepConnected(cluster);
            }
            if (System.nanoTime() > nextVoluntary && !subscribers.isEmpty()) {
                subscribers.get(random.nextInt(subscribers.size())).reconnect(cluster);
                nextVoluntary = System.nanoTime()
                        + Duration.ofMillis(2000 + random.nextInt(4000)).toNanos();
            }
            pause(250);
        }
    }

    /** Keeps the subscribers connected until each has received its group's events up to {@code heads}. */
    void catchUpSubscribers(Map<String, Long> heads, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(250)).until(() -> {
            boolean all = true;
            for (ResumingSubscriber subscriber : subscribers) {
                subscriber.keepConnected(cluster);
                all &= subscriber.lastSeq() >= heads.getOrDefault(subscriber.groupId(), 0L);
            }
            return all;
        });
    }

    List<InvariantChecker.Subscriber> received() {
        List<InvariantChecker.Subscriber> all = new ArrayList<>();
        for (ResumingSubscriber subscriber : subscribers) {
            all.add(new InvariantChecker.Subscriber(
                    subscriber.name(), subscriber.groupId(), subscriber.afterSeq(), subscriber.received()));
        }
        return all;
    }
}
