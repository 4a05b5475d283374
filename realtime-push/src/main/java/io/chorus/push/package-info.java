/**
 * Realtime push: the STOMP-over-WebSocket endpoint that follows the event stream and fans each group's events
 * out to its subscribed members, with resume by seq. It arrives with the realtime issue; the module is wired into
 * the build and the app already.
 */
package io.chorus.push;
