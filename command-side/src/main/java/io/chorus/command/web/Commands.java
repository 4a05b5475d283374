package io.chorus.command.web;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.springframework.stereotype.Component;

/**
 * Sends commands for the REST controllers and waits for their outcome, so that a 2xx answer means the events are
 * committed. A command's own failure is rethrown as it is, for the error handler to map.
 */
@Component
public class Commands {

    private static final long TIMEOUT_SECONDS = 30;

    private final CommandGateway gateway;
    private final Clock clock;

    public Commands(CommandGateway gateway) {
        this.gateway = gateway;
        this.clock = Clock.systemUTC();
    }

    /** The time stamped on a command: milliseconds, as stored and returned. */
    public Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    public <R> R send(Object command) {
        return await(gateway.send(command));
    }

    /** The outcome of a command sent elsewhere (the message sender), waited for as {@link #send} waits. */
    public <R> R await(CompletableFuture<R> outcome) {
        try {
            return outcome.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("command failed", cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("command timed out after " + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a command", e);
        }
    }
}
