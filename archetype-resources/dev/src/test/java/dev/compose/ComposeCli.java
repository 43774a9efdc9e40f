package ${package}.dev.compose;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Docker Compose v2 as a user runs it: {@code docker compose} (the CLI plugin) or the standalone
 * {@code docker-compose} binary of v2, whichever is there, in the project's root, under its own project name.
 * The project's files need v2.20 or newer ({@code include:} arrived in 2.20); an older one is refused here,
 * naming the version, instead of failing on the first command.
 */
final class ComposeCli {

    static final int[] MINIMUM_VERSION = {2, 20};
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+)");

    /** What one command printed (stdout and stderr together) and how it ended. */
    record Result(int exitCode, String output, Duration took) {
        boolean ok() {
            return exitCode == 0;
        }

        /** The last lines of the output, where compose says what went wrong. */
        String tail(int lines) {
            List<String> all = output.lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
    }

    private final List<String> command;
    private final String version;
    private final Path projectDir;
    private final String project;
    private final Map<String, String> environment;

    private ComposeCli(List<String> command, String version, Path projectDir, String project,
                       Map<String, String> environment) {
        this.command = command;
        this.version = version;
        this.projectDir = projectDir;
        this.project = project;
        this.environment = environment;
    }

    /** Compose v2.20+ for {@code projectDir}, run with {@code environment} added, or why there is none. */
    static Optional<ComposeCli> find(Path projectDir, String project, Map<String, String> environment,
                                     StringBuilder whyNot) {
        List<String> tried = new ArrayList<>();
        for (List<String> candidate : List.of(List.of("docker", "compose"), List.of("docker-compose"))) {
            String name = String.join(" ", candidate);
            List<String> versionCommand = new ArrayList<>(candidate);
            versionCommand.add("version");
            Result result = run(versionCommand, projectDir, environment, Duration.ofSeconds(30));
            Matcher matcher = VERSION.matcher(result.output());
            if (!result.ok() || !matcher.find()) {
                tried.add("`" + name + "` " + (result.exitCode() == 127 ? "not found" : "did not work: " + result.tail(1)));
                continue;
            }
            int major = Integer.parseInt(matcher.group(1));
            int minor = Integer.parseInt(matcher.group(2));
            if (major < MINIMUM_VERSION[0] || major == MINIMUM_VERSION[0] && minor < MINIMUM_VERSION[1]) {
                tried.add("`" + name + "` is " + matcher.group() + ", older than 2.20 (the compose files use include:)");
                continue;
            }
            return Optional.of(new ComposeCli(candidate, matcher.group(), projectDir, project, environment));
        }
        whyNot.append("no Docker Compose v2.20 or newer: ").append(String.join("; ", tried))
                .append(". Install the compose plugin (Docker Desktop and Docker's packages have it)");
        return Optional.empty();
    }

    String describe() {
        return String.join(" ", command) + " " + version;
    }

    String project() {
        return project;
    }

    /** {@code <compose> -p <project> <args>}, in the project's root. */
    Result run(Duration timeout, String... args) {
        List<String> full = new ArrayList<>(command);
        full.add("-p");
        full.add(project);
        full.addAll(List.of(args));
        return run(full, projectDir, environment, timeout);
    }

    private static Result run(List<String> command, Path dir, Map<String, String> environment, Duration timeout) {
        long start = System.nanoTime();
        Path output = null;
        try {
            output = Files.createTempFile("compose", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().putAll(environment);
            Process process = builder.start();
            boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            return ended ? new Result(process.exitValue(), text, took)
                    : new Result(-1, text + "\n(" + String.join(" ", command) + ": no end after " + timeout.toSeconds()
                    + " s, stopped)", took);
        } catch (IOException e) {
            // ProcessBuilder's way of saying the program is not there
            return new Result(127, e.getMessage(), Duration.ofNanos(System.nanoTime() - start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted", Duration.ofNanos(System.nanoTime() - start));
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
        }
    }
}
