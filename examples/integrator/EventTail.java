// An example integrator of Chorus's event stream: it follows GET /api/events (long polling) and appends each event to
// a file, one JSON line per event. The file is its own checkpoint: on a restart it reads the last complete line's
// "position" and goes on right after it, so every event lands in the file once, even after a kill -9.
//
// Run it with Java 17 or later, no build needed:
//   java examples/integrator/EventTail.java http://localhost:8080 "$TOKEN" events.jsonl [groupId]
// where TOKEN carries the scope chorus:integrator, e.g. with the development tokens of the README's local run:
//   TOKEN=$(curl -s -XPOST localhost:8080/api/dev/tokens -H 'Content-Type: application/json' \
//           -d '{"userId":"etl","scopes":["chorus:integrator"]}' | sed 's/.*"token":"\([^"]*\)".*/\1/')

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class EventTail {

    private static final Pattern POSITION = Pattern.compile("\"position\":\"([^\"]+)\"");
    private static final Pattern NEXT = Pattern.compile("\"next\":\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EventTail <base-url> <token> <file> [groupId]");
            System.exit(2);
        }
        String base = args[0];
        String token = args[1];
        Path file = Path.of(args[2]);
        String groupFilter = args.length > 3 ? "&groupId=" + URLEncoder.encode(args[3], StandardCharsets.UTF_8) : "";
        HttpClient http = HttpClient.newHttpClient();

        String after = resumePosition(file);
        System.out.println(after == null ? "starting from the first event" : "resuming after " + after);
        while (true) {
            String query = "limit=500&wait=20" + groupFilter
                    + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/events?" + query))
                            .header("Authorization", "Bearer " + token)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                System.err.println("poll answered " + response.statusCode() + ": " + response.body());
                Thread.sleep(1000);
                continue;
            }
            List<String> events = splitEvents(response.body());
            if (!events.isEmpty()) {
                // one write per page, each event on a line of its own: the file is the checkpoint
                StringBuilder lines = new StringBuilder();
                events.forEach(event -> lines.append(event).append('\n'));
                Files.writeString(file, lines, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                System.out.println("wrote " + events.size() + " events");
            }
            Matcher next = NEXT.matcher(response.body());
            if (next.find()) {
                after = next.group(1);
            }
        }
    }

    /** The position of the last complete line, dropping a line a crash cut short; null for a new file. */
    static String resumePosition(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long length = raf.length();
            long end = length;
            // a partial last line (no newline yet) is cut off: it will be fetched again
            while (end > 0) {
                raf.seek(end - 1);
                if (raf.read() == '\n') {
                    break;
                }
                end--;
            }
            raf.setLength(end);
        }
        List<String> lines = Files.readAllLines(file);
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher position = POSITION.matcher(lines.get(i));
            if (position.find()) {
                return position.group(1);
            }
        }
        return null;
    }

    /** The objects of the "events" array, as raw JSON text (enough for an example without a JSON library). */
    static List<String> splitEvents(String body) {
        List<String> events = new ArrayList<>();
        int start = body.indexOf("\"events\":[");
        if (start < 0) {
            return events;
        }
        int depth = 0;
        int from = -1;
        boolean inString = false;
        for (int i = start + "\"events\":[".length(); i < body.length(); i++) {
            char c = body.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{') {
                if (depth++ == 0) {
                    from = i;
                }
            } else if (c == '}') {
                if (--depth == 0) {
                    events.add(body.substring(from, i + 1));
                }
            } else if (c == ']' && depth == 0) {
                break;
            }
        }
        return events;
    }
}
