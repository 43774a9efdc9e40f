package ${package}.dev.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * The classpath this code was loaded from, as a string a child {@code java -cp} accepts.
 *
 * <p>The apps are started as separate JVMs so that they can be killed, timed and measured on their own.
 * Under surefire and failsafe {@code java.class.path} already holds the module's test classpath; under
 * {@code exec:java} it holds Maven's launcher, and the real classpath sits in the class loader's URLs.
 */
public final class RuntimeClasspath {

    private RuntimeClasspath() {
    }

    public static String current() {
        Set<String> entries = new LinkedHashSet<>();
        for (ClassLoader loader = RuntimeClasspath.class.getClassLoader(); loader != null; loader = loader.getParent()) {
            if (loader instanceof URLClassLoader urls) {
                for (URL url : urls.getURLs()) {
                    if ("file".equals(url.getProtocol())) {
                        entries.add(toPath(url));
                    }
                }
            }
        }
        String own = codeSource(RuntimeClasspath.class);
        if (entries.contains(own)) {
            return String.join(File.pathSeparator, entries);
        }
        String javaClassPath = System.getProperty("java.class.path", "");
        if (!javaClassPath.contains(own)) {
            throw new IllegalStateException("cannot find the classpath to start the apps with: " + own
                    + " is neither in a URLClassLoader nor in java.class.path (" + javaClassPath + ")");
        }
        return javaClassPath;
    }

    /**
     * This classpath with jars only, as class data sharing requires (it refuses a non-empty directory):
     * {@link ParentWatchedMain}, the one class the apps' JVMs need from this module, is packed into
     * {@code launcher.jar} in {@code dir}, and this module's classes directory is left out.
     *
     * @throws IllegalStateException if another directory is on the classpath (a module that was not installed)
     */
    public static String jarsOnly(Path dir) {
        String ownDirectory = codeSource(ParentWatchedMain.class);
        List<String> entries = new ArrayList<>();
        entries.add(launcherJar(dir).toString());
        for (String entry : current().split(File.pathSeparator)) {
            if (entry.equals(ownDirectory) && Files.isDirectory(Path.of(entry))) {
                continue;
            }
            if (Files.isDirectory(Path.of(entry))) {
                throw new IllegalStateException("class data sharing needs the apps as jars, and " + entry
                        + " is a directory: run ./mvnw -q install -DskipTests first and the benchmark with -pl dev"
                        + " (not -am), or measure without the archive: --no-cds");
            }
            entries.add(entry);
        }
        return String.join(File.pathSeparator, entries);
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

    /** The jar or classes directory a class came from. */
    public static String codeSource(Class<?> type) {
        return toPath(type.getProtectionDomain().getCodeSource().getLocation());
    }

    private static String toPath(URL url) {
        try {
            return Path.of(url.toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a file URL: " + url, e);
        }
    }
}
