/**
 * Realtime push: the STOMP endpoint ({@code /ws}, SockJS and plain WebSocket) that authenticates CONNECT with the
 * bearer token, lets members subscribe to their groups, takes sends and typing notices, follows the event stream
 * from its head and delivers each group's events to this node's subscribers in seq order, resuming a subscription
 * from a given seq without gap or duplicate.
 */
package io.chorus.push;
