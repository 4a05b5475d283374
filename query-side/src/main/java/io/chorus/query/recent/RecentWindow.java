package io.chorus.query.recent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chorus.query.history.JsonPage;
import io.chorus.query.history.MessageView;
import io.chorus.query.history.PageQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The recent window of each group in Redis, per slot: a sorted set of the group's last N messages (score = seq,
 * value = the message's JSON) and a hash {@code floor}/{@code last}: every message with seq &ge; floor and &le; last
 * is in the set, and {@code last} is the last event of the group applied. Every change is one Lua script, so a
 * reader never sees half of one; an event at or below {@code last} changes nothing, which makes redelivery harmless.
 */
final class RecentWindow {

    /** Applies one event: kind sent|edited|deleted|other; a cold window starts complete from this event. */
    private static final String APPLY = """
            local seq = tonumber(ARGV[2])
            local last = redis.call('HGET', KEYS[2], 'last')
            if last then
              if seq <= tonumber(last) then return 0 end
            else
              redis.call('HSET', KEYS[2], 'floor', seq)
            end
            local kind = ARGV[1]
            if kind == 'sent' then
              redis.call('ZADD', KEYS[1], seq, ARGV[3])
            elseif kind == 'edited' or kind == 'deleted' then
              local target = tonumber(ARGV[4])
              local found = redis.call('ZRANGEBYSCORE', KEYS[1], target, target)
              if #found > 0 then
                local m = cjson.decode(found[1])
                if kind == 'edited' then
                  if m.deleted ~= true then
                    m.text = ARGV[3]
                    m.editedAt = ARGV[5]
                  end
                else
                  m.text = cjson.null
                  m.deleted = true
                end
                redis.call('ZREMRANGEBYSCORE', KEYS[1], target, target)
                redis.call('ZADD', KEYS[1], target, cjson.encode(m))
              end
            end
            redis.call('HSET', KEYS[2], 'last', seq)
            local max = tonumber(ARGV[6])
            local size = redis.call('ZCARD', KEYS[1])
            if size > max then
              redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - max - 1)
              local lowest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
              redis.call('HSET', KEYS[2], 'floor', lowest[2])
            end
            return 1
            """;

    /** floor, last, size, then up to ARGV[3] messages after (ascending) or before (descending) the bound. */
    private static final String READ = """
            local meta = redis.call('HMGET', KEYS[2], 'floor', 'last')
            if not meta[2] then return {} end
            local items
            if ARGV[1] == 'after' then
              items = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf', 'LIMIT', 0, ARGV[3])
            else
              items = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[2], '-inf', 'LIMIT', 0, ARGV[3])
            end
            table.insert(items, 1, tostring(redis.call('ZCARD', KEYS[1])))
            table.insert(items, 1, meta[2])
            table.insert(items, 1, meta[1])
            return items
            """;

    /**
     * Replaces the window with the newest messages read from PostgreSQL at the group's seq ARGV[1], unless the
     * window has already applied a later event (then PostgreSQL's copy could miss an edit the window saw).
     */
    private static final String REFILL = """
            local last = redis.call('HGET', KEYS[2], 'last')
            if last and tonumber(last) > tonumber(ARGV[1]) then return 0 end
            redis.call('DEL', KEYS[1])
            for i = 3, #ARGV, 2 do
              redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
            end
            redis.call('HSET', KEYS[2], 'floor', ARGV[2], 'last', ARGV[1])
            return 1
            """;

    /**
     * A window as read: its floor, last and size, and the messages asked for as read (ascending after a seq,
     * descending before one), one more than the limit when there are.
     */
    record Read(long floor, long last, int size, List<String> messages) {}

    private final RedissonClient redisson;
    private final ObjectMapper json;
    private final int size;

    RecentWindow(RedissonClient redisson, ObjectMapper json, int size) {
        this.redisson = redisson;
        this.json = json;
        this.size = size;
    }

    int size() {
        return size;
    }

    private static List<Object> keys(String slot, String groupId) {
        String prefix = "chorus:recent:" + slot + ":{" + groupId + "}";
        return List.of(prefix + ":messages", prefix + ":meta");
    }

    /** Queues the application of one event in a batch that runs when the projection's unit of work commits. */
    void apply(RBatch batch, String slot, String groupId, long seq, String kind, MessageChange change) {
        batch.getScript(StringCodec.INSTANCE)
                .evalAsync(
                        RScript.Mode.READ_WRITE,
                        APPLY,
                        RScript.ReturnType.INTEGER,
                        keys(slot, groupId),
                        kind,
                        Long.toString(seq),
                        change.value(),
                        Long.toString(change.messageSeq()),
                        change.editedAt(),
                        Integer.toString(size));
    }

    /** What an event changes in a message: its JSON (sent), its new text and edit time (edited), nothing (others). */
    record MessageChange(String value, long messageSeq, String editedAt) {
        static final MessageChange NONE = new MessageChange("", 0, "");
    }

    String toJson(MessageView message) {
        try {
            return json.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a message could not be written as JSON", e);
        }
    }

    /** Reads the window's page for the query (one message more than the limit, to tell whether there are more). */
    Optional<Read> read(String slot, String groupId, PageQuery query) {
        boolean after = query.after() != null;
        String bound = after ? "(" + query.after() : query.before() == null ? "+inf" : "(" + query.before();
        List<Object> reply = redisson.getScript(StringCodec.INSTANCE)
                .eval(
                        RScript.Mode.READ_ONLY,
                        READ,
                        RScript.ReturnType.MULTI,
                        keys(slot, groupId),
                        after ? "after" : "before",
                        bound,
                        Integer.toString(query.limit() + 1));
        if (reply == null || reply.isEmpty()) {
            return Optional.empty();
        }
        List<String> messages = new ArrayList<>(reply.size() - 3);
        for (Object item : reply.subList(3, reply.size())) {
            messages.add((String) item);
        }
        return Optional.of(new Read(
                Long.parseLong((String) reply.get(0)),
                Long.parseLong((String) reply.get(1)),
                Integer.parseInt((String) reply.get(2)),
                messages));
    }

    /**
     * The page the query asks for, when the window holds all of it: an after-page starting at or above the floor,
     * or a newest/before page that found more than the limit or a window complete from the group's start.
     */
    static Optional<JsonPage> page(Read window, PageQuery query) {
        PageQuery.Slice<String> page = query.slice(window.messages());
        boolean whole =
                query.after() != null ? query.after() + 1 >= window.floor() : page.hasMore() || window.floor() <= 1;
        return whole ? Optional.of(new JsonPage(page.items(), page.hasMore(), window.last())) : Optional.empty();
    }

    /** Replaces a group's window with PostgreSQL's newest messages at the group's {@code lastSeq}. */
    boolean refill(String slot, String groupId, long lastSeq, List<MessageView> newest) {
        long floor = newest.size() < size
                ? 1
                : newest.stream().mapToLong(MessageView::seq).min().orElse(1);
        List<Object> args = new ArrayList<>(2 + 2 * newest.size());
        args.add(Long.toString(lastSeq));
        args.add(Long.toString(floor));
        for (MessageView message : newest) {
            args.add(Long.toString(message.seq()));
            args.add(toJson(message));
        }
        Long done = redisson.getScript(StringCodec.INSTANCE)
                .eval(RScript.Mode.READ_WRITE, REFILL, RScript.ReturnType.INTEGER, keys(slot, groupId), args.toArray());
        return done != null && done == 1;
    }

    /** Deletes every window of a slot. */
    void clear(String slot) {
        redisson.getKeys().deleteByPattern("chorus:recent:" + slot + ":*");
    }

    MessageView parse(String value) {
        try {
            return json.readValue(value, MessageView.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a message of the recent window is not valid JSON", e);
        }
    }
}
