/**
 * The query side: projections of the event stream into read models (Redis recent window, Postgres history,
 * groups, members, read markers), their query handlers, the history REST API and the replay API. Its read
 * models arrive with the query-side issue; the module is wired into the build and the app already.
 */
package io.chorus.query;
