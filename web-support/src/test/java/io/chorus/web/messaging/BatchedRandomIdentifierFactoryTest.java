package io.chorus.web.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.axonframework.common.IdentifierFactory;
import org.axonframework.messaging.GenericMessage;
import org.junit.jupiter.api.Test;

class BatchedRandomIdentifierFactoryTest {

    private final BatchedRandomIdentifierFactory factory = new BatchedRandomIdentifierFactory();

    @Test
    void axonGivesItsMessagesIdentifiersFromThisFactory() {
        // when
        String identifier = new GenericMessage<>("payload").getIdentifier();

        // then
        assertThat(IdentifierFactory.getInstance()).isInstanceOf(BatchedRandomIdentifierFactory.class);
        UUID uuid = UUID.fromString(identifier);
        assertThat(uuid.version()).isEqualTo(4);
        assertThat(uuid.variant()).isEqualTo(2);
    }

    @Test
    void identifiersDrawnOnManyThreadsAcrossManyDrawsAreAllDifferentRandomUuids() throws Exception {
        // given
        int threads = 4;
        int perThread = 50 * BatchedRandomIdentifierFactory.IDS_PER_DRAW + 7;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            // when
            List<Future<List<String>>> drawn = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                drawn.add(pool.submit(() -> {
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        ids.add(factory.generateIdentifier());
                    }
                    return ids;
                }));
            }
            Set<String> all = new HashSet<>();
            for (Future<List<String>> ids : drawn) {
                all.addAll(ids.get());
            }

            // then
            assertThat(all).hasSize(threads * perThread);
            assertThat(all).allSatisfy(id -> {
                UUID uuid = UUID.fromString(id);
                assertThat(uuid.version()).isEqualTo(4);
                assertThat(uuid.variant()).isEqualTo(2);
                assertThat(uuid.toString()).isEqualTo(id);
            });
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void everyBitOutsideTheVersionAndVariantIsRandom() {
        // given
        int samples = 20 * BatchedRandomIdentifierFactory.IDS_PER_DRAW;
        int[] setCounts = new int[128];

        // when
        for (int i = 0; i < samples; i++) {
            UUID uuid = factory.nextUuid();
            for (int bit = 0; bit < 64; bit++) {
                setCounts[bit] += (int) ((uuid.getMostSignificantBits() >>> bit) & 1);
                setCounts[64 + bit] += (int) ((uuid.getLeastSignificantBits() >>> bit) & 1);
            }
        }

        // then: the 4 version bits (12-15 of the high half) and the 2 variant bits (62-63 of the low half) are fixed,
        // each of the other 122 set in about half the identifiers (1,280 draws: 5.6 standard deviations from 640)
        for (int bit = 0; bit < 128; bit++) {
            boolean version = bit >= 12 && bit <= 15;
            boolean variant = bit >= 64 + 62;
            if (!version && !variant) {
                assertThat(setCounts[bit]).as("bit %d", bit).isBetween(540, 740);
            }
        }
        assertThat(setCounts[14]).isEqualTo(samples);
        assertThat(setCounts[12] + setCounts[13] + setCounts[15]).isZero();
        assertThat(setCounts[64 + 63]).isEqualTo(samples);
        assertThat(setCounts[64 + 62]).isZero();
    }
}
