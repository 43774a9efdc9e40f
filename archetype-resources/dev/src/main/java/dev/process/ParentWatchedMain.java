package ${package}.dev.process;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The main class of every child JVM ({@link ChildJvm}): the broker, the apps the benchmark and the fault tests
 * start. It runs the given main class and ends the JVM when the parent goes away, however it went.
 *
 * <p>The parent holds the write end of this process's standard input; the operating system closes it even
 * when the parent dies of SIGKILL, so a crashed test or a dev mode killed with {@code kill -9} never leaves a
 * broker or a web producer holding its ports. {@code System.exit} runs the child's own shutdown hooks (Kafka's
 * controlled shutdown, the apps' flush), as a SIGTERM would; if they hang, the JVM halts.
 *
 * <p>Arguments: {@code <main class> [its arguments...]}.
 */
public final class ParentWatchedMain {

    /** How long the shutdown hooks may take once the parent is gone, before the process halts. */
    private static final long ORPHAN_HALT_SECONDS = 20;

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
        Thread halt = new Thread(() -> {
            try {
                TimeUnit.SECONDS.sleep(ORPHAN_HALT_SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(1);
        }, "orphan-halt");
        halt.setDaemon(true);
        halt.start();
        System.exit(0);
    }
}
