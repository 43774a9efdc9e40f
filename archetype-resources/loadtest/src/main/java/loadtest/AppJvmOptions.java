package ${package}.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The apps' JVM options as shipped: {@code web/jvm.options} and {@code consumer/jvm.options}, the files the
 * Dockerfiles and the README's {@code java @web/jvm.options -jar ...} use. The benchmark and the fault tests pass
 * them as a {@code @file} argument, so they measure and break what users run.
 */
public final class AppJvmOptions {

    private AppJvmOptions() {
    }

    public static List<String> web() {
        return List.of("@" + find("web"));
    }

    public static List<String> consumer() {
        return List.of("@" + find("consumer"));
    }

    /** Looks in the working directory and up to two above it (Maven runs the loadtest module in loadtest/). */
    private static Path find(String module) {
        Path dir = Path.of("").toAbsolutePath();
        for (int up = 0; up <= 2 && dir != null; up++, dir = dir.getParent()) {
            Path options = dir.resolve(module).resolve("jvm.options");
            if (Files.isRegularFile(options)) {
                return options;
            }
        }
        throw new IllegalStateException(module + "/jvm.options not found from " + Path.of("").toAbsolutePath()
                + ": run from the project root or its loadtest/ directory");
    }
}
