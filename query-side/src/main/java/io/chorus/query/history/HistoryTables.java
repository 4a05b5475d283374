package io.chorus.query.history;

import io.chorus.query.projection.ProjectionSlots;

/** The table names of one slot of the history read model (created by the migrations, never from input). */
record HistoryTables(String slot) {

    HistoryTables {
        if (!ProjectionSlots.SLOTS.contains(slot)) {
            throw new IllegalArgumentException("no history slot " + slot);
        }
    }

    String group() {
        return "history_group_" + slot;
    }

    String member() {
        return "history_member_" + slot;
    }

    String message() {
        return "history_message_" + slot;
    }

    String readMarker() {
        return "read_marker_" + slot;
    }
}
