package io.chorus.query.events;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

/** The integrator event stream's settings. */
@Configuration
@EnableConfigurationProperties(EventStreamProperties.class)
class EventStreamConfiguration {}
