package io.chorus.invariants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The invariant checker from the command line, for a workload run by hand or by another tool:
 *
 * <pre>
 * java -jar invariants/target/chorus-invariants.jar --base http://localhost:8080 --token $INTEGRATOR_TOKEN \
 *   --jdbc jdbc:postgresql://localhost:5432/chorus --db-user chorus --db-password chorus \
 *   --redis redis://localhost:6379 --acks acks.jsonl [--subscribers subscribers.jsonl]
 * </pre>
 *
 * {@code acks.jsonl}: one acknowledged send per line, {@code {"groupId","senderId","clientMessageId","seq"}}.
 * {@code subscribers.jsonl}: one subscription per line, {@code {"name","groupId","afterSeq","received":[seq…]}}.
 * Prints what it checked and every violation; exits 0 when the guarantees hold, 1 when not, 2 on bad arguments.
 */
public final class InvariantCheckerCli {

    private static final ObjectMapper JSON = new ObjectMapper();

    private InvariantCheckerCli() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the check; the exit status as {@link #main} gives it. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                return usage(err, "expected an option, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        if (args.length % 2 != 0) {
            return usage(err, "option " + args[args.length - 1] + " has no value");
        }
        for (String required : List.of("base", "token", "jdbc", "redis", "acks")) {
            if (!options.containsKey(required)) {
                return usage(err, "missing --" + required);
            }
        }
        try {
            List<InvariantChecker.Ack> acks = new ArrayList<>();
            for (JsonNode line : lines(Path.of(options.get("acks")))) {
                acks.add(new InvariantChecker.Ack(
                        text(line, "groupId"),
                        text(line, "senderId"),
                        text(line, "clientMessageId"),
                        number(line, "seq")));
            }
            List<InvariantChecker.Subscriber> subscribers = new ArrayList<>();
            if (options.containsKey("subscribers")) {
                for (JsonNode line : lines(Path.of(options.get("subscribers")))) {
                    List<Long> received = new ArrayList<>();
                    line.path("received").forEach(seq -> received.add(seq.asLong()));
                    subscribers.add(new InvariantChecker.Subscriber(
                            text(line, "name"), text(line, "groupId"), number(line, "afterSeq"), received));
                }
            }
            InvariantChecker.Report report = new InvariantChecker(
                            options.get("base"),
                            options.get("token"),
                            options.get("jdbc"),
                            options.getOrDefault("db-user", "postgres"),
                            options.getOrDefault("db-password", ""),
                            options.get("redis"))
                    .check(acks, subscribers);
            out.println(report);
            return report.holds() ? 0 : 1;
        } catch (IllegalArgumentException | IOException e) {
            return usage(err, e.getMessage());
        } catch (Exception e) {
            err.println("the check could not run: " + e);
            return 2;
        }
    }

    private static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        int number = 0;
        for (String line : Files.readAllLines(file)) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            try {
                lines.add(JSON.readTree(line));
            } catch (IOException e) {
                throw new IllegalArgumentException(file + " line " + number + " is not JSON");
            }
        }
        return lines;
    }

    private static String text(JsonNode line, String field) {
        JsonNode value = line.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("each line needs the text field " + field + ": " + line);
        }
        return value.asText();
    }

    private static long number(JsonNode line, String field) {
        JsonNode value = line.get(field);
        if (value == null || !value.canConvertToLong()) {
            throw new IllegalArgumentException("each line needs the number field " + field + ": " + line);
        }
        return value.asLong();
    }

    private static int usage(PrintStream err, String problem) {
        err.println(problem);
        err.println("usage: --base URL --token INTEGRATOR_TOKEN --jdbc JDBC_URL [--db-user U] [--db-password P]"
                + " --redis redis://HOST:PORT --acks FILE.jsonl [--subscribers FILE.jsonl]");
        return 2;
    }
}
