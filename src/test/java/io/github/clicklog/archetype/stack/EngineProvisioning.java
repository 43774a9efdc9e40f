package io.github.clicklog.archetype.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The ITs that run a compose stack wait here (their prebuild.groovy) for the container engine that .ci/run
 * provisions in the background while the other ITs run: {@code CLICKLOG_ENGINE_READY_FILE} names a file that
 * says {@code ready}, or {@code failed: ...}, once provision.sh and engine.sh are done. Without that variable
 * (a machine that has its engine already, or none) there is nothing to wait for: the generated ComposeStackIT
 * finds the engine or says why not.
 */
public final class EngineProvisioning {

    public static final String READY_FILE_VARIABLE = "CLICKLOG_ENGINE_READY_FILE";
    private static final Duration LIMIT = Duration.ofMinutes(20);

    private EngineProvisioning() {
    }

    public static void await() throws IOException, InterruptedException {
        String readyFile = System.getenv(READY_FILE_VARIABLE);
        if (readyFile == null || readyFile.isBlank()) {
            return;
        }
        Path file = Path.of(readyFile);
        long start = System.nanoTime();
        long deadline = start + LIMIT.toNanos();
        while (!Files.isRegularFile(file) || Files.readString(file).isBlank()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the container engine was not provisioned within " + LIMIT.toMinutes()
                        + " minutes (" + READY_FILE_VARIABLE + "=" + file + " never said ready)");
            }
            Thread.sleep(1_000);
        }
        String state = Files.readString(file).strip();
        System.out.printf("container engine: %s (waited %.0f s for it)%n", state, (System.nanoTime() - start) / 1e9);
        if (!state.startsWith("ready")) {
            throw new IllegalStateException("the container engine could not be provisioned: " + state);
        }
    }
}
