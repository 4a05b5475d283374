package io.chorus.query.history;

import java.util.Optional;

/** A history reader over a cache that holds messages as JSON and can answer a page without parsing them. */
public interface CachedHistoryReader extends HistoryReader {

    /** The page as stored JSON, or empty when the cache does not hold all of it. */
    Optional<JsonPage> jsonPage(String groupId, PageQuery query);
}
