package io.chorus.app.query;

import io.chorus.query.history.HistoryReader;
import io.chorus.query.history.PostgresHistoryReader;
import io.chorus.query.recent.RedisHistoryReader;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** The history reader contract against the PostgreSQL read model. */
class PostgresHistoryReaderIT extends HistoryReaderContract {

    @Autowired
    PostgresHistoryReader postgres;

    @Autowired
    RedisHistoryReader redis;

    @Override
    HistoryReader reader() {
        return postgres;
    }

    @Test
    void answersLikeTheRedisWindow() {
        assertSameAnswersAs(redis);
    }
}
