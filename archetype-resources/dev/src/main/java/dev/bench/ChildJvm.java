package ${package}.dev.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One app (web producer or consumer) in a JVM of its own, started with environment variables as a user
 * starts it: so it can be sent SIGTERM or SIGKILL, and its start-up time, memory and CPU are its own.
 *
 * <p>Output goes to a log file; on failure the callers print its tail. {@link #close()} stops the JVM
 * gracefully and kills it if it does not end in time; a dead parent stops it too (see
 * {@link ParentWatchedMain}).
 */
public final class ChildJvm implements AutoCloseable {

    private static final Duration GRACEFUL_STOP = Duration.ofSeconds(15);

    private final String name;
    private final Process process;
    private final Path log;
    private final long startedNanos;

    private ChildJvm(String name, Process process, Path log, long startedNanos) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.startedNanos = startedNanos;
    }

    /**
     * Starts {@code mainClass} from this JVM's own classpath.
     *
     * @param jvmOptions e.g. {@code -Xmx64m}; the apps' defaults when empty
     * @param environment added to this JVM's environment (KAFKA_BOOTSTRAP_SERVERS, WEB_PORT, ...)
     */
    public static ChildJvm start(String name, String mainClass, List<String> jvmOptions,
                                 Map<String, String> environment, Path log) {
        return start(name, mainClass, RuntimeClasspath.current(), jvmOptions, environment, log);
    }

    /** Starts {@code mainClass} from {@code classpath}, which must hold {@link ParentWatchedMain} too. */
    public static ChildJvm start(String name, String mainClass, String classpath, List<String> jvmOptions,
                                 Map<String, String> environment, Path log) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath);
        command.add(ParentWatchedMain.class.getName());
        command.add(mainClass);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().putAll(environment);
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            long started = System.nanoTime();
            return new ChildJvm(name, builder.start(), log, started);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + mainClass + ")", e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** {@link System#nanoTime()} just before the JVM was forked: start-up times count from here. */
    public long startedNanos() {
        return startedNanos;
    }

    public Path log() {
        return log;
    }

    public ProcessStats stats() {
        return ProcessStats.of(process.pid());
    }

    /** SIGTERM: the app's shutdown hook runs (stop accepting, flush, commit, close). */
    public void sigterm() {
        process.destroy();
    }

    /** SIGKILL: no hook, no flush; what a crash or the OOM killer does. */
    public void sigkill() {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(10));
    }

    /** Waits for the JVM to end; true if it did. */
    public boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public int exitCode() {
        return process.exitValue();
    }

    /** The last lines of the app's log, for failure messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            sigterm();
            if (!waitFor(GRACEFUL_STOP)) {
                System.err.println(name + " did not stop within " + GRACEFUL_STOP.toSeconds() + " s of SIGTERM: killing it");
                sigkill();
            }
        }
    }
}
