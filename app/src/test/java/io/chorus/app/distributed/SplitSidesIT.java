package io.chorus.app.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.app.Api;
import io.chorus.app.Api.Response;
import io.chorus.app.process.ChorusProcess;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command side and the query side as separate processes on their own entry points, as the distributed mode runs
 * them, here on the PostgreSQL event store (Axon Server cannot run on the build machine): commands go to one
 * process, reads and the integrator stream come from the other, which follows the events the first one commits.
 */
class SplitSidesIT {

    @TempDir
    static Path dir;

    static EmbeddedPostgres postgres;
    static ChorusProcess commands;
    static ChorusProcess queries;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder()
                .setDataDirectory(dir.resolve("postgres"))
                .start();
        commands = ChorusProcess.start("command-side", "io.chorus.command.CommandSideApplication", postgres);
        queries = ChorusProcess.start("query-side", "io.chorus.query.QuerySideApplication", postgres);
    }

    @AfterAll
    static void stop() throws Exception {
        for (ChorusProcess side : new ChorusProcess[] {commands, queries}) {
            if (side != null) {
                side.kill();
            }
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void commandsOnOneProcessAreReadFromTheOther() {
        // given
        Api command = commands.api();
        Api query = queries.api();
        String alice = command.token("alice");
        String group = "split-" + UUID.randomUUID().toString().substring(0, 8);

        // when the command side takes a group and 30 sends (one of them retried)
        command.createOpenGroup(alice, group, "Split");
        for (int i = 1; i <= 30; i++) {
            Response sent = command.post(
                    alice, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "c-" + i, "text", "m" + i));
            assertThat(sent.status()).isEqualTo(201);
        }
        Response retried = command.post(
                alice, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "c-7", "text", "m7"));

        // then the query side serves them (waiting for its projection to catch up, as a read after a write does)
        assertThat(retried.status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Response page = query.call("GET", "/api/groups/" + group + "/messages?limit=50", alice, null);
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body().get("messages").findValuesAsText("seq"))
                    .containsExactlyElementsOf(LongStream.rangeClosed(2, 31)
                            .mapToObj(Long::toString)
                            .toList());
        });
        Response mine = query.call("GET", "/api/me/groups", alice, null);
        assertThat(mine.body().findValuesAsText("groupId")).contains(group);
        String integrator = command.token("etl", "chorus:integrator");
        Response events = query.call("GET", "/api/events?groupId=" + group + "&limit=100", integrator, null);
        assertThat(events.body().get("events")).hasSize(31);

        // and each process serves its own side only
        assertThat(command.call("GET", "/api/groups/" + group + "/messages", alice, null)
                        .status())
                .isIn(404, 405);
        assertThat(query.post(alice, "/api/groups/" + group + "/messages", Map.of("clientMessageId", "x", "text", "x"))
                        .status())
                .isIn(404, 405);
    }
}
