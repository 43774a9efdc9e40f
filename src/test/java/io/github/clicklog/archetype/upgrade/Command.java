package io.github.clicklog.archetype.upgrade;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A process run to its end in a directory, its output (stdout and stderr together) kept for the asserts. */
record Command(int exitCode, String output) {

    static Command run(Path directory, Map<String, String> environment, List<String> command) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
            builder.environment().putAll(environment);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Command(process.waitFor(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs it and fails unless it exits 0. */
    static String check(Path directory, Map<String, String> environment, List<String> command) {
        Command result = run(directory, environment, command);
        if (result.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " in " + directory + " exited " + result.exitCode()
                    + ":\n" + result.output());
        }
        return result.output();
    }
}
