package io.chorus.command.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RecentSendsTest {

    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    @Test
    void theWindowHoldsTheLastTenThousandSendsOfUsualIds() {
        RecentSends sends = new RecentSends();
        String first = null;
        String last = null;
        for (int i = 0; i < RecentSends.CAPACITY + 500; i++) {
            last = UUID.randomUUID().toString();
            first = first == null ? last : first;
            sends.remember("user-" + (i % 50), last, i + 2, T0, "text", null);
        }

        assertThat(sends.size()).isEqualTo(RecentSends.CAPACITY);
        assertThat(sends.bytes()).isLessThanOrEqualTo(RecentSends.MAX_BYTES);
        assertThat(sends.find("user-0", first)).isEmpty();
        assertThat(sends.find("user-" + ((RecentSends.CAPACITY + 499) % 50), last))
                .isPresent();
    }

    @Test
    void longIdsShortenTheWindowToItsMemoryBound() {
        // user and client message ids at their longest (128 characters each), outside Latin-1 at that
        String user = "ж".repeat(128);
        RecentSends sends = new RecentSends();
        for (int i = 0; i < RecentSends.CAPACITY; i++) {
            sends.remember(user, String.format("%0128d", i).replace('0', 'ж'), i + 2, T0, "text", null);
        }

        long perEntry = RecentSends.bytes(user + '\n' + "ж".repeat(128));
        assertThat(sends.bytes()).isLessThanOrEqualTo(RecentSends.MAX_BYTES);
        assertThat(sends.size()).isEqualTo((int) (RecentSends.MAX_BYTES / perEntry));
        assertThat(sends.find(
                        user, String.format("%0128d", RecentSends.CAPACITY - 1).replace('0', 'ж')))
                .isPresent();
        assertThat(sends.find(user, String.format("%0128d", 0).replace('0', 'ж')))
                .isEmpty();
    }

    @Test
    void aWindowReadFromASnapshotCountsItsMemoryAndKeepsItsBound() {
        RecentSends sends = new RecentSends();
        for (int i = 0; i < 100; i++) {
            sends.remember("bob", "c-" + i, i + 2, T0, "text", null);
        }

        RecentSends restored = new RecentSends(sends.entries());

        assertThat(restored.bytes()).isEqualTo(sends.bytes());
        assertThat(restored.size()).isEqualTo(100);
        assertThat(restored.find("bob", "c-99").orElseThrow().seq()).isEqualTo(101);
    }
}
