package io.chorus.query.history;

import java.util.Optional;

/**
 * Reads pages of a group's history from one read model. Every reader answers the same page for the same events; a
 * reader that cannot answer a page completely (a cache that does not hold it) answers empty rather than part of it.
 */
public interface HistoryReader {

    /** The page, or empty when this reader does not hold all of it (or the group). */
    Optional<HistoryPage> page(String groupId, PageQuery query);
}
