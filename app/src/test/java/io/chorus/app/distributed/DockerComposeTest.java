package io.chorus.app.distributed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml and nginx.conf checked where no Docker engine runs: every service the distributed mode needs,
 * each side on an entry point that exists, wired to Axon Server, PostgreSQL and Redis by service name, one shared
 * token secret, every mounted file present, and nginx's upstreams naming services of the file.
 */
class DockerComposeTest {

    private static final Path ROOT = Path.of("..");
    private static Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void read() throws IOException {
        try (Reader reader = Files.newBufferedReader(ROOT.resolve("docker-compose.yml"))) {
            Map<String, Object> compose = new Yaml().load(reader);
            services = (Map<String, Map<String, Object>>) compose.get("services");
        }
    }

    @Test
    void theDistributedModeHasEveryServiceAndTwoPushNodes() {
        assertThat(services)
                .containsKeys("postgres", "redis", "axonserver", "command", "query", "push-1", "push-2", "nginx");
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachSideRunsItsOwnEntryPointOnAxonServer() throws Exception {
        Map<String, String> mains = Map.of(
                "command", "io.chorus.command.CommandSideApplication",
                "query", "io.chorus.query.QuerySideApplication",
                "push-1", "io.chorus.push.PushApplication",
                "push-2", "io.chorus.push.PushApplication");
        Set<String> secrets = new HashSet<>();
        for (Map.Entry<String, String> side : mains.entrySet()) {
            Map<String, Object> env = environment(side.getKey());
            assertThat(env.get("LOADER_MAIN")).as(side.getKey()).isEqualTo(side.getValue());
            assertThat(Class.forName(side.getValue()).getMethod("main", String[].class))
                    .isNotNull();
            assertThat(env.get("SPRING_PROFILES_ACTIVE")).isEqualTo("axonserver");
            assertThat(env.get("AXON_AXONSERVER_SERVERS")).isEqualTo("axonserver:8124");
            assertThat((String) env.get("SPRING_DATASOURCE_URL")).startsWith("jdbc:postgresql://postgres:5432/");
            assertThat(env.get("SPRING_DATA_REDIS_HOST")).isEqualTo("redis");
            assertThat(dependsOn(side.getKey())).contains("postgres", "redis", "axonserver");
            secrets.add((String) env.get("CHORUS_SECURITY_JWT_SECRET"));
        }
        secrets.add((String) environment("chorus").get("CHORUS_SECURITY_JWT_SECRET"));
        // one shared secret, and it comes from the user's .env: none is published in the file
        assertThat(secrets).containsExactly("${CHORUS_JWT_SECRET:?set CHORUS_JWT_SECRET in .env (see .env.example)}");
        assertThat((List<Object>) services.get("axonserver").get("ports")).contains("8124:8124");
    }

    @Test
    void noServiceTurnsDevelopmentTokensOnOrPublishesASecretAndAxonServerChecksTokens() throws IOException {
        for (String service : List.of("command", "query", "push-1", "push-2", "chorus")) {
            Map<String, Object> env = environment(service);
            assertThat(env.get("CHORUS_SECURITY_DEV_TOKENS")).as(service).isEqualTo("${CHORUS_DEV_TOKENS:-false}");
            assertThat((String) env.get("SPRING_DATASOURCE_PASSWORD"))
                    .as(service)
                    .startsWith("${POSTGRES_PASSWORD:?");
            if (!service.equals("chorus")) {
                assertThat((String) env.get("AXON_AXONSERVER_TOKEN"))
                        .as(service)
                        .startsWith("${AXON_SERVER_TOKEN:?");
            }
        }
        assertThat((String) environment("axonserver").get("AXONIQ_AXONSERVER_ACCESSCONTROL_TOKEN"))
                .startsWith("${AXON_SERVER_TOKEN:?");
        assertThat(Files.readString(ROOT.resolve("axon-server/axonserver.properties")))
                .contains("axoniq.axonserver.accesscontrol.enabled=true")
                .doesNotContain("accesscontrol.enabled=false");
        // the user fills an .env from the example, and git never takes it
        assertThat(Files.readString(ROOT.resolve(".env.example")))
                .contains("CHORUS_JWT_SECRET=\n", "AXON_SERVER_TOKEN=\n", "POSTGRES_PASSWORD=\n");
        assertThat(Files.readAllLines(ROOT.resolve(".gitignore"))).contains(".env");
    }

    @Test
    void everyMountedFileExistsAndEveryDependencyIsAService() {
        for (Map.Entry<String, Map<String, Object>> service : services.entrySet()) {
            for (String dependency : dependsOn(service.getKey())) {
                assertThat(services)
                        .as("%s depends on %s", service.getKey(), dependency)
                        .containsKey(dependency);
            }
            Object volumes = service.getValue().get("volumes");
            if (volumes instanceof List<?> mounts) {
                for (Object mount : mounts) {
                    String source = mount.toString().split(":")[0];
                    if (source.startsWith("./")) {
                        assertThat(ROOT.resolve(source))
                                .as("%s mounts %s", service.getKey(), source)
                                .exists();
                    }
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void nginxBalancesTwoPushNodesAndSplitsReadsFromChanges() throws IOException {
        // given
        String nginx = Files.readString(ROOT.resolve("nginx/nginx.conf"));
        Matcher server = Pattern.compile("server\\s+([\\w-]+):(\\d+);").matcher(nginx);
        Set<String> upstreams = new HashSet<>();
        while (server.find()) {
            upstreams.add(server.group(1));
            assertThat(server.group(2)).isEqualTo("8080");
        }

        // then
        assertThat(upstreams).containsExactlyInAnyOrder("command", "query", "push-1", "push-2");
        assertThat(services.keySet()).containsAll(upstreams);
        assertThat(nginx)
                .contains("location /ws")
                .contains("proxy_set_header Upgrade")
                .contains("ip_hash");
        assertThat(nginx).containsPattern("GET\\s+query;").containsPattern("default\\s+command;");
        assertThat((List<Object>) services.get("nginx").get("ports")).contains("8080:8080");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> environment(String service) {
        return (Map<String, Object>) services.get(service).get("environment");
    }

    private static Set<String> dependsOn(String service) {
        Object depends = services.get(service).get("depends_on");
        if (depends instanceof Map<?, ?> map) {
            Set<String> names = new HashSet<>();
            map.keySet().forEach(name -> names.add(name.toString()));
            return names;
        }
        if (depends instanceof List<?> list) {
            Set<String> names = new HashSet<>();
            list.forEach(name -> names.add(name.toString()));
            return names;
        }
        return Set.of();
    }
}
