package io.chorus.app.chaos;

import io.chorus.app.process.ChorusProcess;
import io.chorus.app.push.StompClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A subscriber that behaves as the browser client does: subscribed to one group, and whenever its connection is gone
 * (its node killed, or it chose to reconnect) it connects again, to its own node if that runs, else another, and
 * resumes with {@code from-seq} = the last seq it received. What it received across all its connections is what the
 * invariant checker judges.
 */
final class ResumingSubscriber {

    private final String name;
    private final String groupId;
    private final long afterSeq;
    private final int preferredNode;
    private final String token;
    private final List<Long> earlier = new ArrayList<>();
    private StompClient client;
    private StompClient.Connection connection;
    private List<StompClient.Frame> current = List.of();
    private int connects;

    /**
     * @param afterSeq the seq it first subscribed after
     * @param received what it already received after {@code afterSeq} on a connection of its own (may be empty)
     */
    ResumingSubscriber(
            String name, String groupId, long afterSeq, List<Long> received, int preferredNode, String token) {
        this.name = name;
        this.groupId = groupId;
        this.afterSeq = afterSeq;
        this.preferredNode = preferredNode;
        this.token = token;
        this.earlier.addAll(received);
    }

    String name() {
        return name;
    }

    String groupId() {
        return groupId;
    }

    long afterSeq() {
        return afterSeq;
    }

    synchronized int connects() {
        return connects;
    }

    /** Every seq received, in the order received (a frame without one, e.g. a resync, counts as -1). */
    synchronized List<Long> received() {
        List<Long> all = new ArrayList<>(earlier);
        current.forEach(frame -> all.add(seqOf(frame)));
        return all;
    }

    synchronized long lastSeq() {
        List<Long> all = received();
        return all.isEmpty() ? afterSeq : all.get(all.size() - 1);
    }

    /** Connects again if its connection is gone; false while no node takes it. */
    synchronized boolean keepConnected(ChaosCluster cluster) {
        if (connection != null && connection.connected()) {
            return true;
        }
        close();
        Optional<ChorusProcess> node = cluster.live(preferredNode);
        if (node.isEmpty()) {
            return false;
        }
        StompClient next = new StompClient(node.get().port());
        try {
            StompClient.Connection opened = next.connect(token);
            current = opened.subscribe(groupId, lastSeq());
            client = next;
            connection = opened;
            connects++;
            return true;
        } catch (Exception e) {
            next.close();
            return false; // the node is starting or going away: the next round tries again
        }
    }

    /** Drops the connection and resumes on a new one, as a client whose network changed does. */
    synchronized void reconnect(ChaosCluster cluster) {
        close();
        keepConnected(cluster);
    }

    /** Closes the connection; what it received so far is kept, frames still in flight on it are not. */
    synchronized void close() {
        current.forEach(frame -> earlier.add(seqOf(frame)));
        current = List.of();
        if (client != null) {
            client.close();
        }
        client = null;
        connection = null;
    }

    private static long seqOf(StompClient.Frame frame) {
        return frame.headers().getFirst("seq") == null ? -1 : frame.seq();
    }
}
