package io.chorus.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import io.chorus.eventstore.CommitOrderedEventStorageEngine;
import io.chorus.eventstore.IsoInstantDeserializer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.axonframework.common.DateTimeUtils;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Instants read on the fast path ({@code IsoInstants}) come back as written: an event's time stamp through the store
 * (by aggregate and on the stream) as Axon keeps it, and an event's own instant fields through the app's serializer.
 */
@ChorusIT
class EventTimestampsIT {

    /** A payload no projection handles, with an instant of its own. */
    record Stamped(String aggregate, long seq, Instant at) {}

    @Autowired
    CommitOrderedEventStorageEngine engine;

    @Autowired
    @Qualifier("eventSerializer")
    Serializer eventSerializer;

    @Autowired
    PlatformTransactionManager springTransactions;

    @Test
    void theAppsEventSerializerReadsInstantsWithTheFastPath() throws Exception {
        ObjectMapper mapper = ((JacksonSerializer) eventSerializer).getObjectMapper();
        DeserializationContext context = ((DefaultDeserializationContext) mapper.getDeserializationContext())
                .createInstance(mapper.getDeserializationConfig(), null, null);

        assertThat(context.findRootValueDeserializer(mapper.constructType(Instant.class)))
                .isInstanceOf(IsoInstantDeserializer.class);
    }

    @Test
    void anEventsTimeStampAndInstantsComeBackFromTheStoreAsWritten() {
        // given events stamped at each precision Axon writes, one of them before 1970
        String group = "stamps-" + UUID.randomUUID();
        List<Instant> stamps = List.of(
                Instant.parse("2026-11-29T16:05:12Z"),
                Instant.parse("2026-11-29T16:05:12.120Z"),
                Instant.parse("2026-11-29T16:05:12.123456Z"),
                Instant.parse("2026-11-29T16:05:12.123456789Z"),
                Instant.parse("1969-12-31T23:59:59.5Z"));
        TrackingToken head = engine.createHeadToken();
        new TransactionTemplate(springTransactions).executeWithoutResult(status -> {
            for (int seq = 0; seq < stamps.size(); seq++) {
                engine.appendEvents(new GenericDomainEventMessage<>(
                        "stamps-test",
                        group,
                        seq,
                        new Stamped(group, seq, stamps.get(seq)),
                        MetaData.emptyInstance(),
                        UUID.randomUUID().toString(),
                        stamps.get(seq)));
            }
        });

        // when read back by aggregate and on the stream
        List<? extends DomainEventMessage<?>> byGroup =
                engine.readEvents(group).asStream().toList();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> engine.readEvents(head, false)
                                .filter(event -> event.getPayload() instanceof Stamped stamped
                                        && stamped.aggregate().equals(group))
                                .count()
                        == stamps.size());
        List<? extends EventMessage<?>> onStream = engine.readEvents(head, false)
                .filter(event -> event.getPayload() instanceof Stamped stamped
                        && stamped.aggregate().equals(group))
                .toList();

        // then every time stamp is the one written, as Axon keeps it (to the millisecond), and every instant in the
        // payloads is the one written, to the nanosecond
        List<Instant> kept = stamps.stream()
                .map(stamp -> DateTimeUtils.parseInstant(DateTimeUtils.formatInstant(stamp)))
                .toList();
        assertThat(kept).contains(Instant.parse("2026-11-29T16:05:12.123Z"));
        assertThat(byGroup).extracting(EventMessage::getTimestamp).containsExactlyElementsOf(kept);
        assertThat(onStream).extracting(EventMessage::getTimestamp).containsExactlyElementsOf(kept);
        assertThat(byGroup)
                .extracting(event -> ((Stamped) event.getPayload()).at())
                .containsExactlyElementsOf(stamps);
    }
}
