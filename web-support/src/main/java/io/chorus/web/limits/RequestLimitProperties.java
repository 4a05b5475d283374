package io.chorus.web.limits;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits on HTTP request bodies of the API, checked before a body is parsed.
 *
 * @param maxBodySize the largest request body of {@code /api/**}; a larger one is answered 413 without being read
 * @param maxJsonDepth the deepest nesting of JSON objects and arrays a body may have
 */
@ConfigurationProperties("chorus.http")
public record RequestLimitProperties(
        @DefaultValue("64KB") DataSize maxBodySize,
        @DefaultValue("32") int maxJsonDepth) {}
