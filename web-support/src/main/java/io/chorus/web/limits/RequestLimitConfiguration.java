package io.chorus.web.limits;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.converter.json.MappingJackson2HttpMessageConverter;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** The request body limit (a filter ahead of security) and Jackson's read limits derived from it. */
@Configuration
@EnableConfigurationProperties(RequestLimitProperties.class)
class RequestLimitConfiguration {

    @Bean
    FilterRegistrationBean<RequestBodyLimitFilter> requestBodyLimit(RequestLimitProperties limits) {
        FilterRegistrationBean<RequestBodyLimitFilter> registration = new FilterRegistrationBean<>(
                new RequestBodyLimitFilter(limits.maxBodySize().toBytes()));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        registration.addUrlPatterns("/api/*");
        return registration;
    }

    /**
     * No document, string or name larger than a body may be, and a shallow nesting: Jackson's defaults (20 M
     * characters, depth 1,000) are sized for any JSON, not for an API whose bodies are a few fields. Only the HTTP
     * converters' copy of the mapper is limited: Axon reads events and snapshots (a large group's is large) with the
     * shared one.
     */
    @Bean
    WebMvcConfigurer jsonReadLimits(RequestLimitProperties limits) {
        int size = (int) Math.min(Integer.MAX_VALUE, limits.maxBodySize().toBytes());
        StreamReadConstraints constraints = StreamReadConstraints.builder()
                .maxDocumentLength(size)
                .maxStringLength(size)
                .maxNameLength(Math.min(size, 1_000))
                .maxNumberLength(100)
                .maxNestingDepth(limits.maxJsonDepth())
                .build();
        return new WebMvcConfigurer() {
            @Override
            public void extendMessageConverters(List<HttpMessageConverter<?>> converters) {
                for (HttpMessageConverter<?> converter : converters) {
                    if (converter instanceof MappingJackson2HttpMessageConverter json) {
                        ObjectMapper limited = json.getObjectMapper().copy();
                        limited.getFactory().setStreamReadConstraints(constraints);
                        json.setObjectMapper(limited);
                    }
                }
            }
        };
    }
}
