package io.chorus.query.history;

import javax.sql.DataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/** The two slots of the PostgreSQL history projection. */
@Configuration
class HistoryConfiguration {

    @Bean
    HistoryProjection historyA(JdbcTemplate jdbc, DataSource dataSource, HistoryProgress progress) {
        return new HistoryProjection("a", jdbc, dataSource, progress);
    }

    @Bean
    HistoryProjection historyB(JdbcTemplate jdbc, DataSource dataSource, HistoryProgress progress) {
        return new HistoryProjection("b", jdbc, dataSource, progress);
    }
}
