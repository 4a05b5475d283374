package io.chorus.query.projection;

import org.axonframework.common.transaction.Transaction;
import org.axonframework.common.transaction.TransactionManager;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A projection's transactions commit without waiting for PostgreSQL to flush them to disk ({@code SET LOCAL
 * synchronous_commit TO OFF}): a read model and its token are rebuilt from the events, which stay the only durable
 * truth, so a commit needs to be atomic (rows and token together) but not durable. If PostgreSQL stops before it has
 * flushed them (its WAL writer does within about 0.6 s), it comes back with the projection's rows and token as they
 * were a moment earlier, still matching each other, and the projection handles those events again. What it saves: a
 * WAL flush per projection batch, which on two shared cores and one disk queued behind, and beside, the event store's
 * own flushes, the ones a send waits for.
 */
final class AsynchronousCommit implements TransactionManager {

    static final String STATEMENT = "set local synchronous_commit to off";

    private final TransactionManager transactions;
    private final JdbcTemplate jdbc;

    AsynchronousCommit(TransactionManager transactions, JdbcTemplate jdbc) {
        this.transactions = transactions;
        this.jdbc = jdbc;
    }

    @Override
    public Transaction startTransaction() {
        Transaction transaction = transactions.startTransaction();
        try {
            // on the transaction's connection (the JPA transaction manager exposes it to JDBC); it ends with it
            jdbc.execute(STATEMENT);
        } catch (RuntimeException e) {
            transaction.rollback();
            throw e;
        }
        return transaction;
    }
}
