package io.chorus.push;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.messaging.SessionDisconnectEvent;

/**
 * Limits on a connection's life: at most {@code chorus.push.max-sessions-per-user} STOMP sessions per user on this
 * node (one more CONNECT is refused), at most {@code chorus.push.max-subscriptions-per-session} subscriptions per
 * session (one more SUBSCRIBE is refused), one user per session, and a session ends when its token expires (an ERROR frame says so; the client
 * reconnects with a new token and resumes from its last seq).
 */
@Component
class SessionGuard implements DisposableBean {

    private final int maxSessionsPerUser;
    private final ObjectProvider<GroupSubscriptions> subscriptions;
    private final Map<String, Set<String>> sessionsByUser = new ConcurrentHashMap<>();
    private final Map<String, Connected> bySession = new ConcurrentHashMap<>();
    private final ScheduledExecutorService expiries = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "push-token-expiry");
        thread.setDaemon(true);
        return thread;
    });

    private record Connected(String userId, ScheduledFuture<?> expiry) {}

    private final int maxSubscriptionsPerSession;
    /** Each session's subscription ids, whatever their destination. */
    private final Map<String, Set<String>> subscriptionsBySession = new ConcurrentHashMap<>();

    SessionGuard(PushProperties properties, ObjectProvider<GroupSubscriptions> subscriptions) {
        this.maxSessionsPerUser = properties.maxSessionsPerUser();
        this.maxSubscriptionsPerSession = properties.maxSubscriptionsPerSession();
        this.subscriptions = subscriptions;
    }

    /**
     * Admits a SUBSCRIBE of the session, whatever its destination.
     *
     * @throws StompSecurityInterceptor.Refused when the session holds as many subscriptions as allowed
     */
    void subscribed(String sessionId, String subscriptionId) {
        if (subscriptionId == null) {
            throw new StompSecurityInterceptor.Refused("SUBSCRIBE needs an id header");
        }
        boolean[] admitted = {false};
        subscriptionsBySession.compute(sessionId, (session, ids) -> {
            Set<String> current = ids == null ? new HashSet<>() : ids;
            if (current.contains(subscriptionId) || current.size() < maxSubscriptionsPerSession) {
                current.add(subscriptionId);
                admitted[0] = true;
            }
            return current;
        });
        if (!admitted[0]) {
            throw new StompSecurityInterceptor.Refused("too many subscriptions on this session: at most "
                    + maxSubscriptionsPerSession + " at once (see chorus.push.max-subscriptions-per-session)");
        }
    }

    void unsubscribed(String sessionId, String subscriptionId) {
        subscriptionsBySession.computeIfPresent(sessionId, (session, ids) -> {
            ids.remove(subscriptionId);
            return ids.isEmpty() ? null : ids;
        });
    }

    /**
     * Admits a CONNECT of the user, its token valid until {@code expiresAt} (null: no expiry).
     *
     * @throws StompSecurityInterceptor.Refused when the user has as many sessions as allowed
     */
    void connected(String sessionId, String userId, Instant expiresAt) {
        Connected already = bySession.get(sessionId);
        if (already != null && !already.userId().equals(userId)) {
            // the session's slot belongs to its first user; a second one would leave it behind at the disconnect
            throw new StompSecurityInterceptor.Refused(
                    "this session is connected as another user; open a new connection to connect as " + userId);
        }
        boolean[] admitted = {false};
        // one atomic step per user: a concurrent disconnect cannot drop the set this session is added to
        sessionsByUser.compute(userId, (user, sessions) -> {
            Set<String> current = sessions == null ? new HashSet<>() : sessions;
            if (current.contains(sessionId) || current.size() < maxSessionsPerUser) {
                current.add(sessionId);
                admitted[0] = true;
            }
            return current;
        });
        if (!admitted[0]) {
            throw new StompSecurityInterceptor.Refused("too many sessions of user " + userId + ": at most "
                    + maxSessionsPerUser + " at once on this node");
        }
        ScheduledFuture<?> expiry = null;
        if (expiresAt != null) {
            long delay = Math.max(0, Duration.between(Instant.now(), expiresAt).toMillis());
            expiry = expiries.schedule(() -> expire(sessionId), delay, TimeUnit.MILLISECONDS);
        }
        Connected previous = bySession.put(sessionId, new Connected(userId, expiry));
        if (previous != null && previous.expiry() != null) {
            previous.expiry().cancel(false);
        }
    }

    private void expire(String sessionId) {
        if (bySession.containsKey(sessionId)) {
            subscriptions
                    .getObject()
                    .refuse(sessionId, "the token expired; reconnect with a new token and resume from your last seq");
        }
    }

    @EventListener
    void disconnected(SessionDisconnectEvent event) {
        subscriptionsBySession.remove(event.getSessionId());
        Connected connected = bySession.remove(event.getSessionId());
        if (connected != null && connected.expiry() != null) {
            connected.expiry().cancel(false);
        }
        // the session's user also when it closed while its CONNECT was still being admitted
        String userId = connected != null
                ? connected.userId()
                : event.getUser() != null ? event.getUser().getName() : null;
        if (userId == null) {
            return;
        }
        sessionsByUser.computeIfPresent(userId, (user, sessions) -> {
            sessions.remove(event.getSessionId());
            return sessions.isEmpty() ? null : sessions;
        });
    }

    @Override
    public void destroy() {
        expiries.shutdownNow();
    }
}
