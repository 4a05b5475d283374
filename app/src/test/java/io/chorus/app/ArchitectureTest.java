package io.chorus.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The boundaries CONVENTIONS.md sets: a dependency-free contract, and sides that do not reach into each other. */
class ArchitectureTest {

    private static final JavaClasses CHORUS = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.chorus");

    @Test
    void contractsDependOnlyOnJavaAndAxon() {
        classes()
                .that()
                .resideInAPackage("io.chorus.api..")
                .should()
                .onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "org.axonframework..", "io.chorus.api..")
                .check(CHORUS);
    }

    @Test
    void commandSideDoesNotReachIntoTheOtherSides() {
        noClasses()
                .that()
                .resideInAPackage("io.chorus.command..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.chorus.query..", "io.chorus.push..")
                .check(CHORUS);
    }

    @Test
    void querySideDoesNotReachIntoTheOtherSides() {
        noClasses()
                .that()
                .resideInAPackage("io.chorus.query..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.chorus.command..", "io.chorus.push..")
                .allowEmptyShould(true)
                .check(CHORUS);
    }

    @Test
    void realtimePushDoesNotReachIntoTheOtherSides() {
        noClasses()
                .that()
                .resideInAPackage("io.chorus.push..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.chorus.command..", "io.chorus.query..")
                .allowEmptyShould(true)
                .check(CHORUS);
    }
}
