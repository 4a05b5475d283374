package io.chorus.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.modelling.command.ConcurrencyException;
import org.junit.jupiter.api.Test;

/**
 * The batching and failure isolation of group commit. The "transaction" here records what it was given and
 * refuses any batch holding a poisoned event, as PostgreSQL refuses a whole transaction on one unique violation;
 * the real one runs in every integration test that sends a command.
 */
class GroupCommitterTest {

    private final List<List<Object>> transactions = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstTransactionStarted = new CountDownLatch(1);
    private final CountDownLatch firstTransactionMayFinish = new CountDownLatch(1);

    private void transaction(List<? extends EventMessage<?>> events) {
        List<Object> payloads =
                events.stream().<Object>map(EventMessage::getPayload).toList();
        if (firstTransactionStarted.getCount() > 0) {
            firstTransactionStarted.countDown();
            await(firstTransactionMayFinish);
        }
        if (payloads.contains("poison")) {
            throw new ConcurrencyException("another writer took this position");
        }
        transactions.add(payloads);
    }

    @Test
    void waitingAppendsShareATransactionAndOnlyTheFailingOneFails() throws Exception {
        // given a writer busy with a first transaction while more appends queue up
        GroupCommitter committer = new GroupCommitter(this::transaction, 64);
        ExecutorService callers = Executors.newFixedThreadPool(6);
        Future<?> first = callers.submit(() -> committer.append(events("first")));
        firstTransactionStarted.await();
        List<Future<?>> queued = new ArrayList<>();
        for (String payload : List.of("a", "b", "poison", "c")) {
            queued.add(callers.submit(() -> committer.append(events(payload))));
        }
        waitUntilQueued(committer, 4);

        // when the first transaction finishes
        firstTransactionMayFinish.countDown();

        // then
        first.get();
        queued.get(0).get();
        queued.get(1).get();
        queued.get(3).get();
        assertThatThrownBy(() -> queued.get(2).get()).hasCauseInstanceOf(ConcurrencyException.class);
        assertThat(transactions).first().isEqualTo(List.of("first"));
        assertThat(transactions.stream().flatMap(List::stream).toList())
                .containsExactlyInAnyOrder("first", "a", "b", "c");
        callers.shutdown();
        committer.close();
    }

    @Test
    void aLoneAppendIsWrittenAtOnceOnItsOwnThread() {
        firstTransactionStarted.countDown();
        firstTransactionMayFinish.countDown();
        List<Thread> writtenOn = new CopyOnWriteArrayList<>();
        GroupCommitter committer = new GroupCommitter(
                events -> {
                    writtenOn.add(Thread.currentThread());
                    transaction(events);
                },
                64);

        committer.append(events("alone"));
        committer.append(events("again"));

        assertThat(transactions).containsExactly(List.of("alone"), List.of("again"));
        assertThat(writtenOn).containsOnly(Thread.currentThread());
        committer.close();
    }

    @Test
    void appendsArrivingDuringAnAppendWrittenOnItsOwnThreadAreWrittenAfterItTogether() throws Exception {
        // given an append being written on its caller's thread
        List<String> writers = new CopyOnWriteArrayList<>();
        GroupCommitter committer = new GroupCommitter(
                events -> {
                    writers.add(Thread.currentThread().getName());
                    transaction(events);
                },
                64);
        ExecutorService callers = Executors.newFixedThreadPool(3);
        Future<?> first = callers.submit(() -> committer.append(events("first")));
        firstTransactionStarted.await();

        // when two more arrive meanwhile
        Future<?> second = callers.submit(() -> committer.append(events("second")));
        Future<?> third = callers.submit(() -> committer.append(events("third")));
        waitUntilQueued(committer, 2);
        firstTransactionMayFinish.countDown();

        // then they wait for it, and the writer thread writes them in one transaction
        first.get();
        second.get();
        third.get();
        assertThat(transactions).first().isEqualTo(List.of("first"));
        assertThat(transactions).element(1).asList().containsExactlyInAnyOrder("second", "third");
        assertThat(transactions).hasSize(2);
        assertThat(writers).element(0).isNotEqualTo("chorus-group-commit");
        assertThat(writers).element(1).isEqualTo("chorus-group-commit");
        callers.shutdown();
        committer.close();
    }

    private static List<EventMessage<?>> events(String payload) {
        return List.of(GenericEventMessage.asEventMessage(payload));
    }

    private static void waitUntilQueued(GroupCommitter committer, int count) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (committer.waiting() < count && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(committer.waiting()).isEqualTo(count);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
