/**
 * The message contract of Chorus: commands, events, queries and views as Java records.
 *
 * <p>Every event of a group carries {@code seq}, its gap-free position in the group's history (1, 2, 3, …),
 * assigned by the group aggregate. Events are versioned with {@code @Revision}; their serialized form is pinned
 * by golden JSON fixtures so that a later change comes with an upcaster.
 */
package io.chorus.api;
