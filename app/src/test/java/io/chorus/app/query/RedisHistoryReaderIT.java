package io.chorus.app.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.query.history.HistoryReader;
import io.chorus.query.history.PageQuery;
import io.chorus.query.history.PostgresHistoryReader;
import io.chorus.query.recent.RedisHistoryReader;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** The history reader contract against the Redis recent window. */
class RedisHistoryReaderIT extends HistoryReaderContract {

    @Autowired
    PostgresHistoryReader postgres;

    @Autowired
    RedisHistoryReader redis;

    @Override
    HistoryReader reader() {
        return redis;
    }

    @Test
    void answersLikePostgres() {
        assertSameAnswersAs(postgres);
    }

    @Test
    void doesNotAnswerPagesOlderThanItsWindow() {
        // the window holds 200 messages by default; a longer history's first page is PostgreSQL's to answer
        sendMessages(230);
        page(PageQuery.after(expected.lastKey() - 1, 5));
        assertThat(redis.page(group, PageQuery.after(0, 50))).isEmpty();
        assertThat(redis.page(group, PageQuery.before(expected.firstKey() + 5, 50)))
                .isEmpty();
        assertThat(redis.page(group, PageQuery.newest(50))).isPresent();
        assertThat(postgres.page(group, PageQuery.after(0, 50))).isPresent();
    }
}
