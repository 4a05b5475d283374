package io.chorus.push;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The STOMP destinations of a group, as API.md names them. */
final class GroupDestinations {

    static final String ACKS = "/user/queue/acks";
    static final String ERRORS = "/user/queue/errors";

    private static final Pattern TOPIC = Pattern.compile("/topic/groups\\.([A-Za-z0-9_-]{1,64})(\\.typing)?");

    private GroupDestinations() {}

    static String topic(String groupId) {
        return "/topic/groups." + groupId;
    }

    static String typing(String groupId) {
        return topic(groupId) + ".typing";
    }

    /** A group topic or its typing topic. */
    record GroupTopic(String groupId, boolean typing) {}

    static GroupTopic parse(String destination) {
        Matcher matcher = destination == null ? null : TOPIC.matcher(destination);
        if (matcher == null || !matcher.matches()) {
            return null;
        }
        return new GroupTopic(matcher.group(1), matcher.group(2) != null);
    }
}
