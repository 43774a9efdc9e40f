package ${package}.dev.process;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The classpath this code was loaded from, as a string a child {@code java -cp} accepts: the one way the
 * child JVMs ({@link ChildJvm}) get their classes, the broker's and the apps' alike.
 *
 * <p>Under surefire, failsafe and {@code exec:exec} {@code java.class.path} holds the module's classpath;
 * under {@code exec:java} (dev mode) it holds Maven's launcher, and the real classpath sits in the class
 * loader's URLs.
 */
public final class JvmClasspath {

    private JvmClasspath() {
    }

    public static String current() {
        Set<String> entries = new LinkedHashSet<>();
        for (ClassLoader loader = JvmClasspath.class.getClassLoader(); loader != null; loader = loader.getParent()) {
            if (loader instanceof URLClassLoader urls) {
                for (URL url : urls.getURLs()) {
                    if ("file".equals(url.getProtocol())) {
                        entries.add(toPath(url));
                    }
                }
            }
        }
        String own = codeSource(JvmClasspath.class);
        if (entries.contains(own)) {
            return String.join(File.pathSeparator, entries);
        }
        String javaClassPath = System.getProperty("java.class.path", "");
        if (!javaClassPath.contains(own)) {
            throw new IllegalStateException("cannot find the classpath to start a child JVM with: " + own
                    + " is neither in a URLClassLoader nor in java.class.path (" + javaClassPath + ")");
        }
        return javaClassPath;
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
