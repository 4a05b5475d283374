package io.chorus.eventstore;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Reads the one form in which Chorus writes instants, {@code 2026-11-29T16:05:12.123456Z} (what {@link
 * Instant#toString()} and Jackson write, and what Axon writes in the event table's {@code time_stamp}), without
 * {@link java.time.format.DateTimeFormatter}: every event read from the store carries two or more instants, and
 * the formatter's parse (a {@code Parsed} with a field map per call) was one in nine bytes the push node and the
 * projections allocated at 2,000 messages/s. Any other text is left to the caller's standard parser, so what is
 * accepted, and every error, stays the standard parser's.
 */
public final class IsoInstants {

    private static final int SHORTEST = "2026-11-29T16:05:12Z".length();
    private static final int LONGEST = "2026-11-29T16:05:12.123456789Z".length();

    private IsoInstants() {}

    /**
     * The instant {@code text} denotes when it is {@code yyyy-MM-ddTHH:mm:ss}, optionally {@code .} and 1 to 9
     * digits, then {@code Z}, with a valid date and time; otherwise {@code null}.
     */
    public static Instant parseOrNull(CharSequence text) {
        int length = text.length();
        if (length < SHORTEST
                || length > LONGEST
                || length == SHORTEST + 1
                || text.charAt(4) != '-'
                || text.charAt(7) != '-'
                || text.charAt(10) != 'T'
                || text.charAt(13) != ':'
                || text.charAt(16) != ':'
                || text.charAt(length - 1) != 'Z') {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 7);
        int day = digits(text, 8, 10);
        int hour = digits(text, 11, 13);
        int minute = digits(text, 14, 16);
        int second = digits(text, 17, 19);
        if ((year | month | day | hour | minute | second) < 0 || hour > 23 || minute > 59 || second > 59) {
            return null;
        }
        int nanos = 0;
        if (length > SHORTEST) {
            if (text.charAt(19) != '.') {
                return null;
            }
            int fraction = digits(text, 20, length - 1);
            if (fraction < 0) {
                return null;
            }
            nanos = fraction;
            for (int i = length - 1 - 20; i < 9; i++) {
                nanos *= 10;
            }
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return null; // 30 February and the like: the standard parser words the error
        }
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600 + minute * 60 + second, nanos);
    }

    /** The decimal number in {@code text[from, to)}, at most 9 digits; -1 when a character is not a digit. */
    private static int digits(CharSequence text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            int digit = text.charAt(i) - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }
}
