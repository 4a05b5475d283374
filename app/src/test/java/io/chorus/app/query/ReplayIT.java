package io.chorus.app.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chorus.api.group.AddMemberCommand;
import io.chorus.api.group.ChangeRoleCommand;
import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.JoinGroupCommand;
import io.chorus.api.group.LeaveGroupCommand;
import io.chorus.api.group.RemoveMemberCommand;
import io.chorus.api.group.Role;
import io.chorus.api.group.UnbanMemberCommand;
import io.chorus.api.group.Visibility;
import io.chorus.api.message.DeleteMessageCommand;
import io.chorus.api.message.EditMessageCommand;
import io.chorus.api.message.MarkReadCommand;
import io.chorus.api.message.SendMessageCommand;
import io.chorus.api.message.SendReceiptView;
import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import io.chorus.query.history.HistoryPage;
import io.chorus.query.history.PageQuery;
import io.chorus.query.history.PostgresHistoryReader;
import io.chorus.query.projection.ProjectionSlots;
import io.chorus.query.projection.ReplayCoordinator;
import io.chorus.query.projection.SlotProjection;
import io.chorus.query.recent.RedisHistoryReader;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.AnnotationEventHandlerAdapter;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Projections converge: a model built event by event equals a full rebuild; a replay started while messages are
 * being sent keeps serving reads and ends equal to a fresh full rebuild; a redelivered batch changes nothing.
 */
@ChorusIT
class ReplayIT {

    private static final List<String> USERS = List.of("u0", "u1", "u2", "u3", "u4");

    @LocalServerPort
    int port;

    @Autowired
    CommandGateway gateway;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    EventStore eventStore;

    @Autowired
    ProjectionSlots slots;

    @Autowired
    PostgresHistoryReader postgres;

    @Autowired
    RedisHistoryReader redis;

    @Autowired
    ApplicationContext context;

    @Autowired
    PlatformTransactionManager transactions;

    Api api;
    String admin;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        admin = api.token("ops", "chorus:admin");
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    /** Random commands over fresh groups (many are refused, as they would be from real clients); the groups. */
    private List<String> randomWorkload(long seed, int commands) {
        Random random = new Random(seed);
        String run = UUID.randomUUID().toString().substring(0, 6);
        List<String> groups = new ArrayList<>();
        Map<String, List<Long>> messages = new HashMap<>();
        for (int g = 0; g < 4; g++) {
            String group = "p" + seed + "-" + run + "-" + g;
            gateway.sendAndWait(new CreateGroupCommand(
                    group, "G" + g, g % 2 == 0 ? Visibility.OPEN : Visibility.INVITE, "u0", now()));
            groups.add(group);
            messages.put(group, new ArrayList<>());
            // most users are members from the start, so that most random commands are allowed
            for (String user : USERS.subList(1, 4)) {
                gateway.sendAndWait(
                        g % 2 == 0
                                ? new JoinGroupCommand(group, user, now())
                                : new AddMemberCommand(group, "u0", user, Role.MEMBER, now()));
            }
        }
        for (int i = 0; i < commands; i++) {
            String group = groups.get(random.nextInt(groups.size()));
            String actor = USERS.get(random.nextInt(USERS.size()));
            String other = USERS.get(random.nextInt(USERS.size()));
            List<Long> sent = messages.get(group);
            long someMessage = sent.isEmpty() ? 2 : sent.get(random.nextInt(sent.size()));
            int dice = random.nextInt(100);
            Object command;
            if (dice < 45) {
                command = new SendMessageCommand(group, actor, "c" + i, "text " + i + " " + seed, null, now());
            } else if (dice < 55) {
                command = new EditMessageCommand(group, actor, someMessage, "edit " + i, now());
            } else if (dice < 61) {
                command = new DeleteMessageCommand(group, actor, someMessage, now());
            } else if (dice < 71) {
                command = new JoinGroupCommand(group, actor, now());
            } else if (dice < 76) {
                command = new LeaveGroupCommand(group, actor, now());
            } else if (dice < 82) {
                command = new AddMemberCommand(group, actor, other, Role.MEMBER, now());
            } else if (dice < 86) {
                command = new RemoveMemberCommand(group, actor, other, random.nextBoolean(), now());
            } else if (dice < 88) {
                command = new UnbanMemberCommand(group, actor, other, now());
            } else if (dice < 92) {
                command = new ChangeRoleCommand(
                        group, actor, other, random.nextBoolean() ? Role.ADMIN : Role.MEMBER, now());
            } else {
                command = new MarkReadCommand(group, actor, 1 + random.nextInt(Math.max(1, sent.size() + 1)), now());
            }
            try {
                Object result = gateway.sendAndWait(command);
                if (result instanceof SendReceiptView receipt) {
                    sent.add(receipt.seq());
                }
            } catch (RuntimeException refused) {
                // a refused command changes nothing, which the comparison below also checks
            }
        }
        return groups;
    }

    /** The rows of a history slot that belong to the groups, as text, in a stable order. */
    private List<String> dump(String slot, Collection<String> groups) {
        String[] ids = groups.toArray(new String[0]);
        List<String> rows = new ArrayList<>();
        for (String table : List.of("history_group_", "history_member_", "history_message_", "read_marker_")) {
            jdbc.queryForList("select * from " + table + slot + " where group_id = any(?) order by 1, 2", (Object) ids)
                    .forEach(row -> rows.add(table + row));
        }
        return rows;
    }

    /** Waits until the active history slot has every event of the groups and no longer changes. */
    private List<String> settled(Collection<String> groups) {
        AtomicReference<List<String>> last = new AtomicReference<>(List.of());
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> {
                    for (String group : groups) {
                        long committed = eventStore
                                .lastSequenceNumberFor(group)
                                .map(n -> n + 1)
                                .orElse(0L);
                        List<Long> projected = jdbc.queryForList(
                                "select last_seq from history_group_" + slots.active("history") + " where group_id = ?",
                                Long.class,
                                group);
                        if (projected.isEmpty() || projected.get(0) < committed) {
                            return false;
                        }
                    }
                    List<String> now = dump(slots.active("history"), groups);
                    return now.equals(last.getAndSet(now));
                });
        return last.get();
    }

    private JsonNode projection(String name) {
        for (JsonNode projection :
                api.call("GET", "/api/admin/projections", admin, null).body()) {
            if (projection.get("name").asText().equals(name)) {
                return projection;
            }
        }
        throw new AssertionError("no projection " + name);
    }

    /** Replays the projection and waits until the rebuilt slot serves; true when "replaying" was seen meanwhile. */
    private boolean replay(String name) {
        String before = projection(name).get("activeSlot").asText();
        Api.Response started = api.post(admin, "/api/admin/projections/" + name + "/replay", null);
        assertThat(started.status()).isEqualTo(202);
        AtomicBoolean seenReplaying = new AtomicBoolean();
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    JsonNode state = projection(name);
                    if (state.get("status").asText().equals("replaying")) {
                        seenReplaying.set(true);
                        assertThat(state.get("progress").asDouble()).isBetween(0.0, 1.0);
                    }
                    return state.get("status").asText().equals("live")
                            && !state.get("activeSlot").asText().equals(before);
                });
        return seenReplaying.get();
    }

    /** Every group's Redis window answers the whole (short) history exactly as PostgreSQL does. */
    private void assertWindowsMatchPostgres(Collection<String> groups) {
        for (String group : groups) {
            long committed =
                    eventStore.lastSequenceNumberFor(group).map(n -> n + 1).orElse(0L);
            PageQuery all = PageQuery.after(0, 200);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> redis.page(group, all)
                            .filter(p -> p.lastSeq() >= committed)
                            .isPresent());
            HistoryPage fromRedis = redis.page(group, all).orElseThrow();
            HistoryPage fromPostgres = postgres.page(group, all).orElseThrow();
            assertThat(fromRedis.messages()).as(group).isEqualTo(fromPostgres.messages());
        }
    }

    @Test
    void incrementalProjectionEqualsFullRebuildForRandomCommands() {
        for (long seed = 1; seed <= 3; seed++) {
            List<String> groups = randomWorkload(seed, 250);
            List<String> incremental = settled(groups);
            assertThat(incremental).anyMatch(row -> row.startsWith("history_message_"));

            replay("history");

            assertThat(dump(slots.active("history"), groups))
                    .as("seed %s", seed)
                    .isEqualTo(incremental);
            assertWindowsMatchPostgres(groups);
            assertThat(jdbc.queryForList(
                            "select cause_message from dead_letter_entry where processing_group like 'history-%'"
                                    + " and sequence_identifier = any(?)",
                            String.class, (Object) groups.toArray(new String[0])))
                    .isEmpty();
        }
        // and the Redis windows rebuilt from the first event equal them too
        replay("recent");
        assertWindowsMatchPostgres(jdbc.queryForList(
                "select group_id from history_group_" + slots.active("history") + " where group_id like 'p%'",
                String.class));
    }

    @Test
    void replayUnderConcurrentSendsServesReadsAndEndsEqualToAFreshRebuild() throws Exception {
        String alice = api.token("alice");
        String run = UUID.randomUUID().toString().substring(0, 6);
        List<String> groups = new ArrayList<>();
        for (int g = 0; g < 4; g++) {
            String group = "r-" + run + "-" + g;
            api.createOpenGroup(alice, group, "R");
            groups.add(group);
        }
        Map<String, AtomicInteger> acknowledged = new ConcurrentHashMap<>();
        groups.forEach(g -> acknowledged.put(g, new AtomicInteger()));
        AtomicBoolean sending = new AtomicBoolean(true);
        List<Thread> senders = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (String group : groups) {
            Thread sender = new Thread(() -> {
                int i = 0;
                while (sending.get()) {
                    Api.Response response = api.post(
                            alice,
                            "/api/groups/" + group + "/messages",
                            Map.of("clientMessageId", "s-" + i, "text", "during replay " + i));
                    if (response.status() == 201) {
                        acknowledged.get(group).incrementAndGet();
                        // reads keep being served, current, while the replay runs
                        long seq = response.body().get("seq").asLong();
                        Api.Response read =
                                api.call("GET", "/api/groups/" + group + "/messages?after=" + (seq - 1), alice, null);
                        if (read.status() != 200
                                || !"false".equals(read.header("Chorus-Stale"))
                                || read.body().get("messages").isEmpty()
                                || read.body().get("messages").get(0).get("seq").asLong() != seq) {
                            synchronized (failures) {
                                failures.add(new AssertionError("read after send " + seq + ": " + read));
                            }
                        }
                    }
                    i++;
                }
            });
            sender.start();
            senders.add(sender);
        }
        // the replays start once every sender is under way, and sends go on after they end
        await().atMost(Duration.ofSeconds(30))
                .until(() -> acknowledged.values().stream().allMatch(n -> n.get() >= 10));
        assertThat(replay("history"))
                .as("the admin view showed the replay in progress")
                .isTrue();
        assertThat(replay("recent")).isTrue();
        int afterReplays =
                acknowledged.values().stream().mapToInt(AtomicInteger::get).sum();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> acknowledged.values().stream()
                                .mapToInt(AtomicInteger::get)
                                .sum()
                        >= afterReplays + 20);
        sending.set(false);
        for (Thread sender : senders) {
            sender.join();
        }
        assertThat(failures).isEmpty();

        // every acknowledged send is in the rebuilt history exactly once
        List<String> live = settled(groups);
        for (String group : groups) {
            assertThat(jdbc.queryForObject(
                            "select count(*) from history_message_" + slots.active("history") + " where group_id = ?",
                            Integer.class,
                            group))
                    .isEqualTo(acknowledged.get(group).get());
        }
        assertWindowsMatchPostgres(groups);

        // and the model is what a fresh full rebuild, without traffic, builds
        replay("history");
        assertThat(dump(slots.active("history"), groups)).isEqualTo(live);
    }

    @Test
    void redeliveringABatchChangesNothing() {
        List<String> groups = randomWorkload(42, 200);
        List<String> before = settled(groups);
        assertWindowsMatchPostgres(groups);
        Map<String, List<?>> windowsBefore = new HashMap<>();
        groups.forEach(g -> windowsBefore.put(
                g, redis.page(g, PageQuery.after(0, 200)).orElseThrow().messages()));

        // every event of these groups delivered again, as one batch, to the live slots of both projections
        List<EventMessage<?>> batch = new ArrayList<>();
        try (var stream = eventStore.openStream(null)) {
            while (stream.hasNextAvailable()) {
                TrackedEventMessage<?> event = stream.nextAvailable();
                if (event.getPayload() instanceof io.chorus.api.GroupEvent e && groups.contains(e.groupId())) {
                    batch.add(event);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        assertThat(batch).hasSizeGreaterThan(50);
        List<AnnotationEventHandlerAdapter> live = context.getBeansOfType(SlotProjection.class).values().stream()
                .filter(p -> p.slot().equals(slots.active(p.projection())))
                .map(AnnotationEventHandlerAdapter::new)
                .toList();
        new TransactionTemplate(transactions).executeWithoutResult(status -> {
            UnitOfWork<?> unitOfWork = DefaultUnitOfWork.startAndGet(batch.get(0));
            try {
                for (EventMessage<?> event : batch) {
                    for (AnnotationEventHandlerAdapter handler : live) {
                        handler.handle(event);
                    }
                }
                unitOfWork.commit();
            } catch (Exception e) {
                unitOfWork.rollback(e);
                throw new IllegalStateException(e);
            }
        });

        assertThat(dump(slots.active("history"), groups)).isEqualTo(before);
        groups.forEach(g -> assertThat(
                        redis.page(g, PageQuery.after(0, 200)).orElseThrow().messages())
                .isEqualTo(windowsBefore.get(g)));
    }

    @Test
    void theAdminApiNeedsTheAdminScopeAndRefusesASecondReplay() {
        String alice = api.token("alice");
        assertThat(api.call("GET", "/api/admin/projections", alice, null).status())
                .isEqualTo(403);
        assertThat(api.post(alice, "/api/admin/projections/history/replay", null)
                        .status())
                .isEqualTo(403);
        Api.Response unknown = api.post(admin, "/api/admin/projections/nothing/replay", null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.contentType()).contains("application/problem+json");

        JsonNode before = projection("history");
        assertThat(before.get("status").asText()).isEqualTo("live");
        assertThat(before.get("lag").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(api.post(admin, "/api/admin/projections/history/replay", null)
                        .status())
                .isEqualTo(202);
        // a second replay while the first runs (it needs at least the processor's start and one check): 409
        Api.Response second = api.post(admin, "/api/admin/projections/history/replay", null);
        assertThat(second.status()).isEqualTo(409);
        assertThat(second.detail()).contains("already running");
        await().atMost(Duration.ofSeconds(90))
                .until(() -> projection("history").get("status").asText().equals("live"));
    }

    @Test
    void aRetiredSlotsProcessorStartedAgainWritesNothingIntoTheEmptiedSlot() {
        // given a replay that moved the history to the other slot, and the old slot emptied after it
        String old = slots.active("history");
        replay("history");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> jdbc.queryForObject("select count(*) from history_group_" + old, Long.class) == 0);

        // when its processor runs again, as when Axon starts every processor at boot before the reconciler stops
        // it (the reconciler is held here, so that the processor runs until it has seen the new events)
        StreamingEventProcessor retired = context.getBean(EventProcessingConfiguration.class)
                .eventProcessor("history-" + old, StreamingEventProcessor.class)
                .orElseThrow();
        ReplayCoordinator reconciler = context.getBean(ReplayCoordinator.class);
        reconciler.stop();
        try {
            retired.shutdownAsync().join(); // the switch-over stopped it; that may still be under way
            retired.start();
            String group = "retired-" + UUID.randomUUID().toString().substring(0, 8);
            gateway.sendAndWait(new CreateGroupCommand(group, "Retired", Visibility.OPEN, "u0", now()));
            for (int i = 0; i < 20; i++) {
                gateway.sendAndWait(new SendMessageCommand(group, "u0", "r" + i, "text " + i, null, now()));
            }
            long head = jdbc.queryForObject("select max(global_index) from domain_event_entry", Long.class);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !retired.processingStatus().isEmpty()
                            && retired.processingStatus().values().stream()
                                    .allMatch(s -> s.getCurrentPosition().orElse(-1) >= head));
        } finally {
            retired.shutDown();
            reconciler.start();
        }

        // then it wrote nothing into the old slot and parked nothing
        assertThat(jdbc.queryForObject("select count(*) from history_message_" + old, Long.class))
                .isZero();
        assertThat(jdbc.queryForObject(
                        "select count(*) from dead_letter_entry where processing_group = ?",
                        Long.class,
                        "history-" + old))
                .isZero();
    }
}
