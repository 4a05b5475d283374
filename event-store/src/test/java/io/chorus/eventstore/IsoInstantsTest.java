package io.chorus.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.SplittableRandom;
import org.axonframework.common.DateTimeUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IsoInstantsTest {

    /** From year 0 to 9999, any nanosecond, so every precision Instant.toString and Axon write comes up. */
    private static Instant randomInstant(SplittableRandom random) {
        long first = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long last = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        int nanos = switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1_000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            default -> random.nextInt(1_000_000_000);
        };
        return Instant.ofEpochSecond(random.nextLong(first, last + 1), nanos);
    }

    @Test
    void readsWhatInstantToStringWritesAsInstantParseDoes() {
        SplittableRandom random = new SplittableRandom(20261129);
        for (int i = 0; i < 50_000; i++) {
            String text = randomInstant(random).toString();
            assertThat(IsoInstants.parseOrNull(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void readsWhatAxonWritesInTheEventTableAsAxonDoes() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 50_000; i++) {
            String text = DateTimeUtils.formatInstant(randomInstant(random));
            assertThat(IsoInstants.parseOrNull(text)).as(text).isEqualTo(DateTimeUtils.parseInstant(text));
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026-11-29T16:05:12.1Z",
                "2026-11-29T16:05:12.12Z",
                "2026-11-29T16:05:12.1234Z",
                "2026-11-29T16:05:12.12345678Z",
                "2024-02-29T23:59:59.999999999Z",
                "0000-01-01T00:00:00Z",
                "1969-12-31T23:59:59.5Z"
            })
    void readsAnyNumberOfFractionDigitsAsInstantParseDoes(String text) {
        assertThat(IsoInstants.parseOrNull(text)).isEqualTo(Instant.parse(text));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026-11-29T17:05:12+01:00", // an offset
                "2026-11-29t16:05:12z", // lower case
                "2026-11-29T16:05:12.Z", // a point and no digit
                "2026-11-29T16:05:12.1234567890Z", // ten digits
                "2026-11-29T16:05Z", // no seconds
                "+12026-11-29T16:05:12Z", // a year of five digits
                "2026-11-29T24:00:00Z", // the end of a day
                "2026-12-31T23:59:60Z", // a leap second
                "2026-02-29T00:00:00Z", // no such day
                "2026-13-01T00:00:00Z", // no such month
                "2026-11-29 16:05:12Z", // a space
                "2026-11-2916:05:12.5Z",
                "2026-1a-29T16:05:12Z",
                "2026-11-29T16:05:1-Z",
                ""
            })
    void leavesEveryOtherTextToTheStandardParser(String text) {
        assertThat(IsoInstants.parseOrNull(text)).isNull();
    }
}
