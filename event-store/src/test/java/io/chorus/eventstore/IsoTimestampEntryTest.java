package io.chorus.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class IsoTimestampEntryTest {

    private static CommitOrderedEventStorageEngine.IsoTimestampEntry<byte[]> entry(String timestamp) {
        return new CommitOrderedEventStorageEngine.IsoTimestampEntry<>(
                "Group", "g-1", 7, "event-1", timestamp, "MessageSent", null, new byte[0], new byte[0]);
    }

    @Test
    void readsTheFormAxonWrites() {
        assertThat(entry("2026-11-29T16:05:12.123Z").getTimestamp())
                .isEqualTo(Instant.parse("2026-11-29T16:05:12.123Z"));
    }

    @Test
    void leavesAnyOtherFormToAxon() {
        // Axon's own reader takes an offset and a time without seconds
        assertThat(entry("2026-11-29T17:05:12.5+01:00").getTimestamp())
                .isEqualTo(Instant.parse("2026-11-29T16:05:12.5Z"));
        assertThat(entry("2026-11-29T16:05Z").getTimestamp()).isEqualTo(Instant.parse("2026-11-29T16:05:00Z"));
    }

    @Test
    void keepsTheRestOfTheRow() {
        CommitOrderedEventStorageEngine.IsoTimestampEntry<byte[]> entry = entry("2026-11-29T16:05:12Z");

        assertThat(entry.getType()).isEqualTo("Group");
        assertThat(entry.getAggregateIdentifier()).isEqualTo("g-1");
        assertThat(entry.getSequenceNumber()).isEqualTo(7);
        assertThat(entry.getEventIdentifier()).isEqualTo("event-1");
        assertThat(entry.getPayload().getType().getName()).isEqualTo("MessageSent");
    }
}
