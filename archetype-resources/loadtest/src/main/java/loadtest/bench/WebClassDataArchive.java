package ${package}.loadtest.bench;

import ${package}.dev.LocalKafkaBroker;
import ${package}.dev.process.ChildJvm;
import ${package}.dev.process.JvmClasspath;
import ${package}.dev.process.ParentWatchedMain;
import ${package}.loadtest.ClickApps;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * The web producer's class data sharing archive, made the way web/Dockerfile makes it when it builds the
 * image: one start with no broker (localhost:1), stopped with SIGTERM after 5 s, the JVM writing the archive as
 * it exits. The start measured next then maps those classes instead of loading them, as the container does.
 */
final class WebClassDataArchive {

    private WebClassDataArchive() {
    }

    /**
     * This JVM's classpath with jars only, as class data sharing requires (it refuses a non-empty directory):
     * {@link ParentWatchedMain}, the one class the apps' JVMs need from the dev module, is packed into
     * {@code launcher.jar} in {@code dir}, and the classes directories of this module and dev are left out.
     *
     * @throws IllegalStateException if another directory is on the classpath (a module that was not installed)
     */
    static String jarsOnlyClasspath(Path dir) {
        List<String> ownDirectories = List.of(JvmClasspath.codeSource(ParentWatchedMain.class),
                JvmClasspath.codeSource(WebClassDataArchive.class));
        List<String> entries = new ArrayList<>();
        entries.add(launcherJar(dir).toString());
        for (String entry : JvmClasspath.current().split(File.pathSeparator)) {
            if (!Files.isDirectory(Path.of(entry))) {
                entries.add(entry);
            } else if (!ownDirectories.contains(entry)) {
                throw new IllegalStateException("class data sharing needs the apps as jars, and " + entry
                        + " is a directory: run ./mvnw -q install -DskipTests first and the benchmark with"
                        + " -pl loadtest (not -am), or measure without the archive: --no-cds");
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** Trains the archive in {@code dir}/web.jsa with the web producer's JVM options and {@code classpath}. */
    static Path train(Path dir, List<String> webJvmOptions, String classpath) {
        Path archive = dir.resolve("web.jsa");
        List<String> jvm = new ArrayList<>(webJvmOptions);
        jvm.add("-XX:ArchiveClassesAtExit=" + archive);
        long started = System.nanoTime();
        ChildJvm training = ClickApps.webProducer("localhost:1", BenchPipeline.CLICK_TOPIC, LocalKafkaBroker.freePort())
                .jvmOptions(jvm)
                .classpath(classpath)
                .log(dir.resolve("web-producer-cds-training.log"))
                .start();
        try {
            ClickApps.sleepMillis(5_000);
        } finally {
            training.close();
        }
        try {
            if (!Files.isRegularFile(archive) || Files.size(archive) == 0) {
                throw new IllegalStateException("the web producer's training start wrote no class data sharing"
                        + " archive (run with --no-cds to measure without one); its log ends with:"
                        + System.lineSeparator() + training.logTail(30));
            }
            System.out.printf("web producer: class data sharing archive from a training start with no broker,"
                            + " as web/Dockerfile makes it (%.0f MB in %.1f s)%n", Files.size(archive) / 1e6,
                    (System.nanoTime() - started) / 1e9);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return archive;
    }

    private static Path launcherJar(Path dir) {
        String classFile = ParentWatchedMain.class.getName().replace('.', '/') + ".class";
        Path jar = dir.resolve("launcher.jar");
        try (InputStream in = ParentWatchedMain.class.getClassLoader().getResourceAsStream(classFile)) {
            if (in == null) {
                throw new IllegalStateException(classFile + " is not on the classpath");
            }
            Files.createDirectories(dir);
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
                out.putNextEntry(new JarEntry(classFile));
                in.transferTo(out);
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + jar, e);
        }
        return jar;
    }
}
