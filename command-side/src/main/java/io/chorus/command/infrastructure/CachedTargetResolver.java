package io.chorus.command.infrastructure;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.modelling.command.CommandTargetResolver;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;
import org.axonframework.modelling.command.VersionedAggregateIdentifier;

/**
 * Which group a command is for: the field marked {@link TargetAggregateIdentifier} (and {@link
 * TargetAggregateVersion}, if any), as Axon's {@code AnnotationCommandTargetResolver} finds it, but looked up once per
 * command class rather than on every command. Axon's resolver scans the class's annotations each time: a fifth of a
 * STOMP send's dispatch CPU (bench/push-benchmark.sh, JFR). The group commands are records, so the markers are on
 * their fields.
 */
final class CachedTargetResolver implements CommandTargetResolver {

    private record Target(Field identifier, Field version) {}

    private final ClassValue<Target> targets = new ClassValue<>() {
        @Override
        protected Target computeValue(Class<?> type) {
            return new Target(
                    marked(type, TargetAggregateIdentifier.class), marked(type, TargetAggregateVersion.class));
        }
    };

    @Override
    public VersionedAggregateIdentifier resolveTarget(CommandMessage<?> command) {
        Object payload = command.getPayload();
        Target target = targets.get(command.getPayloadType());
        Object identifier = target.identifier() == null ? null : read(target.identifier(), payload);
        if (identifier == null) {
            throw new IllegalArgumentException(
                    "Invalid command. It does not identify the target aggregate: no field of "
                            + command.getPayloadType().getName()
                            + " is annotated with @TargetAggregateIdentifier, or it is null");
        }
        Object version = target.version() == null ? null : read(target.version(), payload);
        return new VersionedAggregateIdentifier(identifier, version == null ? null : ((Number) version).longValue());
    }

    private static Field marked(Class<?> type, Class<? extends java.lang.annotation.Annotation> marker) {
        List<Field> found = new ArrayList<>();
        for (Class<?> at = type; at != null && at != Object.class; at = at.getSuperclass()) {
            for (Field field : at.getDeclaredFields()) {
                if (!Modifier.isStatic(field.getModifiers()) && field.isAnnotationPresent(marker)) {
                    found.add(field);
                }
            }
        }
        if (found.size() > 1) {
            throw new IllegalStateException(
                    type.getName() + " marks more than one field with @" + marker.getSimpleName());
        }
        if (found.isEmpty()) {
            return null;
        }
        Field field = found.get(0);
        field.setAccessible(true);
        return field;
    }

    private static Object read(Field field, Object payload) {
        try {
            return field.get(payload);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read " + field, e);
        }
    }
}
