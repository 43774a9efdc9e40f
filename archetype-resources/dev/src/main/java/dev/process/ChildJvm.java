package ${package}.dev.process;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A main class in a JVM of its own: the broker ({@code LocalKafkaBroker}), and the web producer or consumer
 * the benchmark and the fault tests start with environment variables as a user does. A process of its own can
 * be sent SIGTERM or SIGKILL, and its start-up time, memory and CPU are its own.
 *
 * <pre>ChildJvm web = ChildJvm.of("web producer", WebProducerApp.class.getName())
 *         .jvmOptions(List.of("@web/jvm.options")).environment(Map.of("WEB_PORT", Integer.toString(port)))
 *         .log(dir.resolve("web.log"))
 *         .start();</pre>
 *
 * <p>Output goes to the log file (appended, after a line with the command); failures quote its tail. The
 * child runs under {@link ParentWatchedMain}, so it ends when this JVM goes away, even after a SIGKILL.
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

    /** What to start: set what differs from the defaults, then {@link Launch#start()}. */
    public static Launch of(String name, String mainClass) {
        return new Launch(name, mainClass);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    /** For CPU time and the like ({@code ProcessHandle.Info}). */
    public ProcessHandle handle() {
        return process.toHandle();
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

    /** SIGTERM: the main class's shutdown hooks run (the apps flush and commit, Kafka shuts down cleanly). */
    public void sigterm() {
        process.destroy();
    }

    /** SIGKILL, as a crash or the OOM killer would: no hook, no flush. Waits until the process is gone. */
    public void sigkill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            releaseParentPipe();
        }
    }

    /** SIGTERM, then up to {@code grace} for the hooks, then SIGKILL. Does nothing if it has ended. */
    public void stop(Duration grace) {
        if (process.isAlive()) {
            sigterm();
            if (!waitFor(grace)) {
                System.err.println(name + " did not stop within " + grace.toSeconds() + " s of SIGTERM: killing it");
                sigkill();
            }
        }
        releaseParentPipe();
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

    /** The last lines of the log (from its last 64 KiB: a broker's log grows large), for failure messages. */
    public String logTail(int lines) {
        if (!Files.exists(log)) {
            return "(no log at " + log + ")";
        }
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            long from = Math.max(0, length - 64 * 1024);
            byte[] bytes = new byte[(int) (length - from)];
            file.seek(from);
            file.readFully(bytes);
            List<String> all = new String(bytes, StandardCharsets.UTF_8).lines().toList();
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** Closes each in turn (the apps before the broker they flush to), skipping those never started (null). */
    public static void closeAll(ChildJvm... children) {
        for (ChildJvm child : children) {
            if (child != null) {
                child.close();
            }
        }
    }

    /** Stops it gracefully: SIGTERM, and SIGKILL if it has not ended 15 s later. */
    @Override
    public void close() {
        stop(GRACEFUL_STOP);
    }

    /** Closing our end of its standard input: the child is gone, and the pipe's descriptor need not leak. */
    private void releaseParentPipe() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already closed, or the child is gone: nothing left to release
        }
    }

    /** The command of one child JVM; every setting but the log file has a default. */
    public static final class Launch {
        private final String name;
        private final String mainClass;
        private List<String> arguments = List.of();
        private List<String> jvmOptions = List.of();
        private String classpath;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Path log;

        private Launch(String name, String mainClass) {
            this.name = name;
            this.mainClass = mainClass;
        }

        public Launch arguments(String... arguments) {
            this.arguments = List.of(arguments);
            return this;
        }

        /** e.g. {@code -Xmx96m} or {@code @web/jvm.options}; none by default (the JVM's own defaults). */
        public Launch jvmOptions(List<String> options) {
            this.jvmOptions = List.copyOf(options);
            return this;
        }

        /** This JVM's classpath ({@link JvmClasspath#current()}) unless set; it must hold {@link ParentWatchedMain}. */
        public Launch classpath(String classpath) {
            this.classpath = classpath;
            return this;
        }

        /** Added to this JVM's environment (KAFKA_BOOTSTRAP_SERVERS, WEB_PORT, ...). */
        public Launch environment(Map<String, String> variables) {
            environment.putAll(variables);
            return this;
        }

        public Launch log(Path log) {
            this.log = log.toAbsolutePath();
            return this;
        }

        public ChildJvm start() {
            if (log == null) {
                throw new IllegalStateException("no log file for " + name);
            }
            try {
                Files.createDirectories(log.getParent());
                // An argument file keeps the long classpath out of `ps` and out of command-length limits.
                Path argumentFile = log.resolveSibling(log.getFileName() + ".classpath");
                Files.writeString(argumentFile, "-cp " + quoteForArgumentFile(
                        classpath != null ? classpath : JvmClasspath.current()) + System.lineSeparator());
                List<String> command = new ArrayList<>();
                command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                command.addAll(jvmOptions);
                command.add("@" + argumentFile);
                command.add(ParentWatchedMain.class.getName());
                command.add(mainClass);
                command.addAll(arguments);
                Files.writeString(log, "---- starting " + name + " at " + Instant.now() + ": "
                        + String.join(" ", command) + System.lineSeparator(), StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                ProcessBuilder builder = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                // stdin stays a pipe: ParentWatchedMain ends the child when it closes, i.e. when this JVM is gone
                builder.environment().putAll(environment);
                long started = System.nanoTime();
                return new ChildJvm(name, builder.start(), log, started);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + name + " (" + mainClass + ")", e);
            }
        }

        /** Java's @argfiles treat backslashes and quotes specially inside quotes (Windows paths, spaces). */
        private static String quoteForArgumentFile(String value) {
            return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
    }
}
