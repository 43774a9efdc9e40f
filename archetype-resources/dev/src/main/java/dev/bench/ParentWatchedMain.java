package ${package}.dev.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * The main class of every app JVM the benchmark and the fault tests start: it runs the app's own main and
 * ends the JVM when the parent goes away.
 *
 * <p>The parent holds the write end of this process's standard input; the operating system closes it even
 * when the parent dies of SIGKILL, so a crashed test never leaves a web producer holding its port.
 * {@code System.exit} runs the app's own shutdown hook, as a SIGTERM would.
 *
 * <p>Arguments: {@code <main class> [its arguments...]}.
 */
public final class ParentWatchedMain {

    private ParentWatchedMain() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            System.err.println("usage: ParentWatchedMain <main class> [arguments...]");
            System.exit(2);
        }
        Thread watch = new Thread(ParentWatchedMain::exitWhenParentIsGone, "parent-watch");
        watch.setDaemon(true);
        watch.start();
        try {
            Class.forName(args[0])
                    .getMethod("main", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void exitWhenParentIsGone() {
        InputStream parent = System.in;
        try {
            while (parent.read() != -1) {
                // the parent never writes; a byte means nothing
            }
        } catch (IOException e) {
            // a broken pipe means the same as end of stream
        }
        System.err.println("parent JVM is gone: stopping");
        System.exit(0);
    }
}
