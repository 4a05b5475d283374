package io.chorus.eventstore;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import java.io.IOException;
import java.time.Instant;

/**
 * Jackson's {@link Instant} deserializer with a fast path: a string in the form Chorus writes ({@link IsoInstants})
 * is read without a {@code DateTimeFormatter}; everything else (numbers, other forms, a property with its own
 * {@code @JsonFormat}, bad input and its error) goes to the standard {@link InstantDeserializer}, so results and
 * errors are the standard ones.
 */
public final class IsoInstantDeserializer extends StdScalarDeserializer<Instant> implements ContextualDeserializer {

    /** The module that installs it; registered after Jackson's JavaTimeModule, so it takes precedence. */
    public static final class Module extends SimpleModule {
        public Module() {
            super("chorus-iso-instants");
            addDeserializer(Instant.class, new IsoInstantDeserializer(InstantDeserializer.INSTANT));
        }
    }

    private final JsonDeserializer<Instant> standard;

    IsoInstantDeserializer(JsonDeserializer<Instant> standard) {
        super(Instant.class);
        this.standard = standard;
    }

    @Override
    public Instant deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        if (parser.hasToken(JsonToken.VALUE_STRING)) {
            Instant fast = IsoInstants.parseOrNull(parser.getText());
            if (fast != null) {
                return fast;
            }
        }
        return standard.deserialize(parser, context);
    }

    @Override
    @SuppressWarnings("unchecked")
    public JsonDeserializer<?> createContextual(DeserializationContext context, BeanProperty property)
            throws JsonMappingException {
        JsonDeserializer<Instant> contextual = standard instanceof ContextualDeserializer standardContextual
                ? (JsonDeserializer<Instant>) standardContextual.createContextual(context, property)
                : standard;
        JsonFormat.Value format = findFormatOverrides(context, property, Instant.class);
        if (format != null && (format.hasPattern() || format.hasShape() || format.hasLenient())) {
            return contextual; // a property with a format of its own is read as that format says
        }
        return contextual == standard ? this : new IsoInstantDeserializer(contextual);
    }
}
