package io.chorus.command.group;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * The last sends of a group, keyed by sender and client message id, so that a retried send is recognised and
 * answered with its original seq: at most {@link #CAPACITY} of them and at most {@link #MAX_BYTES} of memory, the
 * oldest forgotten first (so a group whose senders use long ids keeps a shorter window). Kept in the aggregate
 * (and its snapshots) rather than in a side table, so the decision and the append stay one atomic step.
 */
final class RecentSends {

    static final int CAPACITY = 10_000;

    /**
     * The most memory one group's window may take, as {@link #bytes(String)} estimates it: room for the whole count
     * with ids of a usual size (a UUID and a short user id), fewer entries when ids are long.
     */
    static final long MAX_BYTES = 2 * 1024 * 1024;

    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, false);
    private long bytes;

    RecentSends() {}

    @JsonCreator
    RecentSends(List<Entry> saved) {
        saved.forEach(this::put);
    }

    /**
     * What one entry costs on the heap, from above: the map's node (40 bytes) and table slot (8), the entry (40),
     * the key's string and the array behind it with their headers and padding (64), and the key's characters (one
     * byte each for Latin-1 text, two for any other, as compact strings store them).
     */
    static long bytes(String key) {
        boolean latin1 = key.chars().allMatch(c -> c < 256);
        return 40 + 8 + 40 + 64 + (latin1 ? 1L : 2L) * key.length();
    }

    /** The estimated memory the window takes now. */
    long bytes() {
        return bytes;
    }

    private void put(Entry entry) {
        Entry replaced = entries.put(entry.key(), entry);
        if (replaced == null) {
            bytes += bytes(entry.key());
        }
        Iterator<Entry> oldest = entries.values().iterator();
        while (entries.size() > CAPACITY || bytes > MAX_BYTES) {
            bytes -= bytes(oldest.next().key());
            oldest.remove();
        }
    }

    @JsonValue
    List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }

    Optional<Entry> find(String senderId, String clientMessageId) {
        return Optional.ofNullable(entries.get(key(senderId, clientMessageId)));
    }

    void remember(String senderId, String clientMessageId, long seq, Instant sentAt, String text, Long replyToSeq) {
        String key = key(senderId, clientMessageId);
        put(new Entry(key, seq, sentAt.toEpochMilli(), fingerprint(text, replyToSeq)));
    }

    int size() {
        return entries.size();
    }

    private static String key(String senderId, String clientMessageId) {
        // user ids never hold a newline (see Inputs), so the key is unambiguous
        return senderId + '\n' + clientMessageId;
    }

    /** A 64-bit digest of what was sent: a retry must carry the same text and reply to count as the same send. */
    static long fingerprint(String text, Long replyToSeq) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] hash = digest.digest((text + '\u0000' + replyToSeq).getBytes(StandardCharsets.UTF_8));
            long value = 0;
            for (int i = 0; i < Long.BYTES; i++) {
                value = (value << 8) | (hash[i] & 0xff);
            }
            return value;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /**
     * One remembered send, written into snapshots as a compact array; {@code sentAtMillis} rather than an ISO
     * string because a busy group's snapshot holds 10,000 of these and is written every few hundred events.
     */
    @JsonFormat(shape = JsonFormat.Shape.ARRAY)
    record Entry(String key, long seq, long sentAtMillis, long fingerprint) {

        Instant sentAt() {
            return Instant.ofEpochMilli(sentAtMillis);
        }
    }
}
