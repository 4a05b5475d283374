package io.chorus.command.infrastructure;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Tunables of the command side.
 *
 * @param maxTextLength longest message text, in characters after stripping surrounding whitespace
 * @param snapshotThreshold events of a group after which a snapshot is taken, so loading stays bounded
 * @param spreadSnapshots whether each group's first snapshot comes after between half and all of the threshold's
 *     events (a phase from its identifier) rather than all groups' at the threshold, so that groups growing together
 *     are not all snapshotted at once
 * @param commandRetries how often a command that lost a concurrent append is retried
 * @param cachedGroups how many groups stay loaded in memory at most (each holds its recent sends, up to 10,000)
 * @param cacheMemory the most memory the loaded groups may take, as each estimates its own size (none: a quarter of
 *     the heap's maximum)
 */
@ConfigurationProperties("chorus.commands")
public record CommandSideProperties(
        @DefaultValue("4000") int maxTextLength,
        @DefaultValue("2000") int snapshotThreshold,
        @DefaultValue("true") boolean spreadSnapshots,
        @DefaultValue("10") int commandRetries,
        @DefaultValue("1000") int cachedGroups,
        DataSize cacheMemory) {

    /** The cache's memory budget in bytes. */
    public long cacheMemoryBytes() {
        return cacheMemory != null
                ? cacheMemory.toBytes()
                : Runtime.getRuntime().maxMemory() / 4;
    }
}
