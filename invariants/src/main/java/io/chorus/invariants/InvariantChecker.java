package io.chorus.invariants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.ScoredEntry;
import org.redisson.config.Config;

/**
 * Checks Chorus's guarantees after a workload, from the outside: given the sends the workload saw acknowledged and
 * what its subscribers received, it reads the event store (through the integrator stream), the PostgreSQL history
 * (the active slot's tables) and the Redis windows, and reports every violation of:
 *
 * <ol>
 *   <li>every acknowledged send is in the event store once, at the seq it was acknowledged with;
 *   <li>a group's seqs are 1..n with no gap and no duplicate;
 *   <li>one event per (sender, client message id);
 *   <li>every acknowledged send is in the PostgreSQL history once, at its seq;
 *   <li>the history's group row has the name, topic and archived state the group's events leave it with;
 *   <li>the Redis window (when there is one) equals the tail of the PostgreSQL history;
 *   <li>every subscriber received every event after the seq it subscribed from, in order, once.
 * </ol>
 */
public final class InvariantChecker {

    /** A send the server acknowledged with {@code seq}. */
    public record Ack(String groupId, String senderId, String clientMessageId, long seq) {}

    /** What one subscription of a group received, having subscribed after {@code afterSeq}. */
    public record Subscriber(String name, String groupId, long afterSeq, List<Long> received) {}

    /** The outcome: what was checked and every violation found. */
    public record Report(List<String> checked, List<String> violations) {
        public boolean holds() {
            return violations.isEmpty();
        }

        @Override
        public String toString() {
            return "checked:\n  " + String.join("\n  ", checked) + "\nviolations: "
                    + (violations.isEmpty() ? "none" : "\n  " + String.join("\n  ", violations));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String baseUrl;
    private final String integratorToken;
    private final String jdbcUrl;
    private final String jdbcUser;
    private final String jdbcPassword;
    private final String redisAddress;

    /**
     * @param baseUrl the app (any node), for the event stream: {@code http://host:port}
     * @param integratorToken a token with the scope {@code chorus:integrator}
     * @param redisAddress {@code redis://host:port}
     */
    public InvariantChecker(
            String baseUrl,
            String integratorToken,
            String jdbcUrl,
            String jdbcUser,
            String jdbcPassword,
            String redisAddress) {
        this.baseUrl = baseUrl;
        this.integratorToken = integratorToken;
        this.jdbcUrl = jdbcUrl;
        this.jdbcUser = jdbcUser;
        this.jdbcPassword = jdbcPassword;
        this.redisAddress = redisAddress;
    }

    public Report check(Collection<Ack> acks, Collection<Subscriber> subscribers) throws SQLException {
        List<String> checked = new ArrayList<>();
        List<String> violations = new ArrayList<>();
        Map<String, List<Ack>> acksByGroup = acks.stream().collect(Collectors.groupingBy(Ack::groupId));
        Map<String, List<Subscriber>> subscribersByGroup =
                subscribers.stream().collect(Collectors.groupingBy(Subscriber::groupId));
        List<String> groups = new ArrayList<>(acksByGroup.keySet());
        subscribersByGroup.keySet().stream().filter(g -> !groups.contains(g)).forEach(groups::add);

        Config config = new Config();
        config.useSingleServer().setAddress(redisAddress);
        RedissonClient redis = Redisson.create(config);
        try (Connection db = DriverManager.getConnection(jdbcUrl, jdbcUser, jdbcPassword)) {
            String historySlot = activeSlot(db, "history");
            String recentSlot = activeSlot(db, "recent");
            for (String group : groups) {
                List<Ack> groupAcks = acksByGroup.getOrDefault(group, List.of());
                List<JsonNode> events = events(group);
                checkStream(group, events, groupAcks, violations);
                TreeMap<Long, JsonNode> history = history(db, historySlot, group);
                checkHistory(group, history, groupAcks, events, violations);
                checkGroupState(db, historySlot, group, events, violations);
                TreeMap<Long, JsonNode> window = window(redis, recentSlot, group);
                checkWindow(group, window, history, violations);
                long lastSeq = events.stream()
                        .filter(e -> !e.get("seq").isNull())
                        .mapToLong(e -> e.get("seq").asLong())
                        .max()
                        .orElse(0);
                for (Subscriber subscriber : subscribersByGroup.getOrDefault(group, List.of())) {
                    checkSubscriber(subscriber, lastSeq, violations);
                }
                checked.add(String.format(
                        "group %s: %d events in the store (seq 1..%d), %d acknowledged sends, %d messages in the"
                                + " history (slot %s), %s, %d subscribers",
                        group,
                        events.size(),
                        lastSeq,
                        groupAcks.size(),
                        history.size(),
                        historySlot,
                        window.isEmpty() ? "no Redis window" : "a Redis window of " + window.size(),
                        subscribersByGroup.getOrDefault(group, List.of()).size()));
            }
        } finally {
            redis.shutdown();
        }
        return new Report(checked, violations);
    }

    private static void checkStream(String group, List<JsonNode> events, List<Ack> acks, List<String> violations) {
        long expected = 1;
        for (JsonNode event : events) {
            if (event.get("seq").isNull()) {
                continue; // a read marker takes no seq
            }
            long seq = event.get("seq").asLong();
            if (seq != expected) {
                violations.add(
                        group + ": the store has seq " + seq + " where " + expected + " was due (gap or duplicate)");
            }
            expected = seq + 1;
        }
        Map<String, List<Long>> sentById = new HashMap<>();
        for (JsonNode event : events) {
            if (event.get("type").asText().equals("MessageSent")) {
                String key = event.at("/payload/senderId").asText() + "/"
                        + event.at("/payload/clientMessageId").asText();
                sentById.computeIfAbsent(key, k -> new ArrayList<>())
                        .add(event.get("seq").asLong());
            }
        }
        sentById.forEach((key, seqs) -> {
            if (seqs.size() > 1) {
                violations.add(group + ": client message id " + key + " stored " + seqs.size() + " times: " + seqs);
            }
        });
        for (Ack ack : acks) {
            List<Long> stored = sentById.get(ack.senderId() + "/" + ack.clientMessageId());
            if (stored == null) {
                violations.add(group + ": acknowledged send " + ack + " is not in the event store");
            } else if (!stored.contains(ack.seq())) {
                violations.add(group + ": acknowledged send " + ack + " is stored at seq " + stored);
            }
        }
    }

    private static void checkHistory(
            String group,
            TreeMap<Long, JsonNode> history,
            List<Ack> acks,
            List<JsonNode> events,
            List<String> violations) {
        for (Ack ack : acks) {
            JsonNode row = history.get(ack.seq());
            if (row == null || !row.get("clientMessageId").asText().equals(ack.clientMessageId())) {
                violations.add(group + ": acknowledged send " + ack + " is not in the PostgreSQL history at its seq");
            }
        }
        long sent = events.stream()
                .filter(e -> e.get("type").asText().equals("MessageSent"))
                .count();
        if (sent != history.size()) {
            violations.add(group + ": the history holds " + history.size() + " messages, the store " + sent);
        }
    }

    private static void checkWindow(
            String group, TreeMap<Long, JsonNode> window, TreeMap<Long, JsonNode> history, List<String> violations) {
        if (window.isEmpty()) {
            return; // no window (cold, flushed or never read): reads come from PostgreSQL
        }
        List<Long> tail =
                new ArrayList<>(history.descendingKeySet()).subList(0, Math.min(window.size(), history.size()));
        List<Long> windowSeqs = new ArrayList<>(window.descendingKeySet());
        if (!windowSeqs.equals(tail)) {
            violations.add(group + ": the Redis window holds seqs " + window.firstKey() + ".." + window.lastKey() + " ("
                    + window.size() + "), not the tail of the history");
            return;
        }
        for (Map.Entry<Long, JsonNode> entry : window.entrySet()) {
            JsonNode row = history.get(entry.getKey());
            for (String field : List.of("clientMessageId", "senderId", "text", "deleted")) {
                if (!entry.getValue().path(field).equals(row.path(field))) {
                    violations.add(group + ": seq " + entry.getKey() + " differs between Redis and PostgreSQL in "
                            + field + ": " + entry.getValue().path(field) + " / " + row.path(field));
                }
            }
        }
    }

    private static void checkSubscriber(Subscriber subscriber, long lastSeq, List<String> violations) {
        List<Long> expected = new ArrayList<>();
        for (long seq = subscriber.afterSeq() + 1; seq <= lastSeq; seq++) {
            expected.add(seq);
        }
        if (!subscriber.received().equals(expected)) {
            violations.add(subscriber.groupId() + ": subscriber " + subscriber.name() + " received "
                    + summary(subscriber.received()) + ", expected " + summary(expected));
        }
    }

    private static String summary(List<Long> seqs) {
        return seqs.isEmpty() ? "nothing" : seqs.size() + " events, " + seqs.get(0) + ".." + seqs.get(seqs.size() - 1);
    }

    private List<JsonNode> events(String group) {
        List<JsonNode> events = new ArrayList<>();
        String after = null;
        while (true) {
            String query = "groupId=" + URLEncoder.encode(group, StandardCharsets.UTF_8) + "&limit=1000"
                    + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            JsonNode page;
            try {
                HttpResponse<String> response = HTTP.send(
                        HttpRequest.newBuilder(URI.create(baseUrl + "/api/events?" + query))
                                .header("Authorization", "Bearer " + integratorToken)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new IllegalStateException(
                            "the event stream answered " + response.statusCode() + ": " + response.body());
                }
                page = JSON.readTree(response.body());
            } catch (IOException e) {
                throw new IllegalStateException("the event stream could not be read at " + baseUrl, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the event stream", e);
            }
            if (page.get("events").isEmpty()) {
                return events;
            }
            page.get("events").forEach(events::add);
            after = page.get("next").asText();
        }
    }

    private static String activeSlot(Connection db, String projection) throws SQLException {
        try (PreparedStatement statement = db.prepareStatement("select active from projection_slot where name = ?")) {
            statement.setString(1, projection);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    throw new IllegalStateException("no projection " + projection);
                }
                return rows.getString(1);
            }
        }
    }

    /**
     * The history's row of the group holds the name, topic and archived state its events leave it with (the last
     * {@code GroupCreated}/{@code GroupRenamed}, {@code TopicChanged}, {@code GroupArchived}/{@code
     * GroupUnarchived}).
     */
    private static void checkGroupState(
            Connection db, String slot, String group, List<JsonNode> events, List<String> violations)
            throws SQLException {
        String name = null;
        String topic = "";
        boolean archived = false;
        for (JsonNode event : events) {
            JsonNode payload = event.get("payload");
            switch (event.get("type").asText()) {
                case "GroupCreated", "GroupRenamed" ->
                    name = payload.get("name").asText();
                case "TopicChanged" -> topic = payload.get("topic").asText();
                case "GroupArchived" -> archived = true;
                case "GroupUnarchived" -> archived = false;
                default -> {}
            }
        }
        if (name == null) {
            return;
        }
        // the slot comes from projection_slot ('a' or 'b'), never from input
        try (PreparedStatement statement = db.prepareStatement(
                "select name, topic, archived from history_group_" + slot + " where group_id = ?")) {
            statement.setString(1, group);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    violations.add("group " + group + ": not in the history");
                    return;
                }
                String seen =
                        row.getString("name") + " | " + row.getString("topic") + " | " + row.getBoolean("archived");
                String expected = name + " | " + topic + " | " + archived;
                if (!seen.equals(expected)) {
                    violations.add("group " + group + ": the history holds name, topic, archived " + seen
                            + ", its events say " + expected);
                }
            }
        }
    }

    private static TreeMap<Long, JsonNode> history(Connection db, String slot, String group) throws SQLException {
        TreeMap<Long, JsonNode> messages = new TreeMap<>();
        // the slot comes from projection_slot ('a' or 'b'), never from input
        String table = "history_message_" + slot;
        try (PreparedStatement statement = db.prepareStatement(
                "select seq, client_message_id, sender_id, text, deleted from " + table + " where group_id = ?")) {
            statement.setString(1, group);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("clientMessageId", rows.getString("client_message_id"));
                    row.put("senderId", rows.getString("sender_id"));
                    row.put("text", rows.getString("text"));
                    row.put("deleted", rows.getBoolean("deleted"));
                    messages.put(rows.getLong("seq"), JSON.valueToTree(row));
                }
            }
        }
        return messages;
    }

    private static TreeMap<Long, JsonNode> window(RedissonClient redis, String slot, String group) {
        TreeMap<Long, JsonNode> window = new TreeMap<>();
        String key = "chorus:recent:" + slot + ":{" + group + "}:messages";
        for (ScoredEntry<String> entry :
                redis.<String>getScoredSortedSet(key, StringCodec.INSTANCE).entryRange(0, -1)) {
            try {
                window.put(entry.getScore().longValue(), JSON.readTree(entry.getValue()));
            } catch (Exception e) {
                throw new IllegalStateException("the window of " + group + " holds no JSON: " + entry.getValue(), e);
            }
        }
        return window;
    }
}
