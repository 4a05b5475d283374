package io.chorus.query.events;

import io.chorus.api.Identifiers;
import io.chorus.api.schema.EventTypes;
import io.chorus.web.problem.Problems;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/** The stream's optional filters: one group, and a comma-separated list of event types. */
record EventFilter(String groupId, Set<String> types) {

    static final EventFilter NONE = new EventFilter(null, Set.of());

    boolean accepts(IntegratorEvent event) {
        return (groupId == null || groupId.equals(event.groupId()))
                && (types.isEmpty() || types.contains(event.type()));
    }

    /** The filter the parameters ask for, or the 400 answer naming the bad one. */
    static Parsed parse(String groupId, String type) {
        if (groupId != null && !Identifiers.isGroupId(groupId)) {
            return new Parsed(null, Problems.badField("groupId", Identifiers.GROUP_ID_RULE));
        }
        Set<String> types = Set.of();
        if (type != null) {
            types = Arrays.stream(type.split(",")).map(String::trim).collect(Collectors.toSet());
            for (String name : types) {
                if (EventTypes.byName(name).isEmpty()) {
                    return new Parsed(
                            null,
                            Problems.badField(
                                    "type",
                                    "must be a comma-separated list of "
                                            + EventTypes.all().stream()
                                                    .map(EventTypes.EventType::name)
                                                    .collect(Collectors.joining(", "))));
                }
            }
        }
        return new Parsed(new EventFilter(groupId, types), null);
    }

    record Parsed(EventFilter filter, ResponseEntity<ProblemDetail> refusal) {}
}
