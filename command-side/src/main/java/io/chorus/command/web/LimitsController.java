package io.chorus.command.web;

import io.chorus.command.group.Inputs;
import io.chorus.command.infrastructure.CommandSideProperties;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * What a client must know to refuse a message itself, before it sends one the server would refuse: the longest
 * text (in code points, after stripping surrounding whitespace) and client message id. An addition to API.md.
 */
@RestController
class LimitsController {

    private final CommandSideProperties properties;

    LimitsController(CommandSideProperties properties) {
        this.properties = properties;
    }

    @GetMapping("/api/limits")
    Map<String, Integer> limits() {
        return Map.of(
                "maxTextLength", properties.maxTextLength(), "maxClientMessageIdLength", Inputs.MAX_CLIENT_MESSAGE_ID);
    }
}
