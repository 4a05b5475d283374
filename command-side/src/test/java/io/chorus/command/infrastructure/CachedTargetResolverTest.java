package io.chorus.command.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chorus.api.group.AddMemberCommand;
import io.chorus.api.group.ChangeRoleCommand;
import io.chorus.api.group.CreateGroupCommand;
import io.chorus.api.group.JoinGroupCommand;
import io.chorus.api.group.LeaveGroupCommand;
import io.chorus.api.group.RemoveMemberCommand;
import io.chorus.api.group.UnbanMemberCommand;
import io.chorus.api.message.DeleteMessageCommand;
import io.chorus.api.message.EditMessageCommand;
import io.chorus.api.message.MarkReadCommand;
import io.chorus.api.message.SendMessageCommand;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.modelling.command.AnnotationCommandTargetResolver;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;
import org.axonframework.modelling.command.VersionedAggregateIdentifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CachedTargetResolverTest {

    private final CachedTargetResolver resolver = new CachedTargetResolver();
    private final AnnotationCommandTargetResolver axons =
            AnnotationCommandTargetResolver.builder().build();

    static List<Class<? extends Record>> commands() {
        return List.of(
                AddMemberCommand.class,
                ChangeRoleCommand.class,
                CreateGroupCommand.class,
                JoinGroupCommand.class,
                LeaveGroupCommand.class,
                RemoveMemberCommand.class,
                UnbanMemberCommand.class,
                DeleteMessageCommand.class,
                EditMessageCommand.class,
                MarkReadCommand.class,
                SendMessageCommand.class);
    }

    @ParameterizedTest
    @MethodSource("commands")
    void findsTheSameGroupAsAxonsResolverForEveryCommand(Class<? extends Record> type) throws Exception {
        Object command = withGroup(type, "group-" + type.getSimpleName());

        VersionedAggregateIdentifier target = resolver.resolveTarget(GenericCommandMessage.asCommandMessage(command));

        assertThat(target).isEqualTo(axons.resolveTarget(GenericCommandMessage.asCommandMessage(command)));
        assertThat(target.getIdentifier()).isEqualTo("group-" + type.getSimpleName());
        assertThat(target.getVersion()).isNull();
    }

    @Test
    void aCommandWithoutItsGroupIsRefused() throws Exception {
        Object command = withGroup(SendMessageCommand.class, null);

        assertThatThrownBy(() -> resolver.resolveTarget(GenericCommandMessage.asCommandMessage(command)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(SendMessageCommand.class.getName());
    }

    record Unmarked(String groupId) {}

    @Test
    void aCommandThatMarksNoGroupIsRefused() {
        assertThatThrownBy(() -> resolver.resolveTarget(GenericCommandMessage.asCommandMessage(new Unmarked("g"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("@TargetAggregateIdentifier");
    }

    record Versioned(
            @TargetAggregateIdentifier String groupId,
            @TargetAggregateVersion Integer version) {}

    @Test
    void readsAVersionWhereOneIsMarked() {
        Versioned command = new Versioned("g", 7);

        VersionedAggregateIdentifier target = resolver.resolveTarget(GenericCommandMessage.asCommandMessage(command));

        assertThat(target.getIdentifier()).isEqualTo("g");
        assertThat(target.getVersion()).isEqualTo(7L);
        assertThat(target).isEqualTo(axons.resolveTarget(GenericCommandMessage.asCommandMessage(command)));
    }

    /** The record with {@code groupId} set and every other component at its type's default. */
    private static Object withGroup(Class<? extends Record> type, String groupId) throws Exception {
        RecordComponent[] components = type.getRecordComponents();
        Constructor<?> constructor = type.getDeclaredConstructor(
                Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
        Object[] values = Arrays.stream(components)
                .map(c -> c.getName().equals("groupId") ? groupId : defaultOf(c.getType()))
                .toArray();
        return constructor.newInstance(values);
    }

    private static Object defaultOf(Class<?> type) {
        if (type == long.class) {
            return 0L;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == boolean.class) {
            return false;
        }
        return null;
    }
}
