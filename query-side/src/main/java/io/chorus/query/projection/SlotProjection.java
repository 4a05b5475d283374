package io.chorus.query.projection;

/**
 * One slot of a projection: the handlers that build the read model in that slot. Every projection has the slots
 * {@link ProjectionSlots#SLOTS}; its processor is named {@code projection-slot}.
 */
public interface SlotProjection {

    /** The projection's name, as the admin API shows it. */
    String projection();

    /** "a" or "b". */
    String slot();

    /** Empties this slot's read model, before a replay builds it again or after it was replaced. */
    void clear();

    static String processorName(String projection, String slot) {
        return projection + "-" + slot;
    }
}
