package ${package}.dev;

import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;

/**
 * The main class of the broker's child JVM, started by {@link LocalKafkaBroker}.
 *
 * <p>It formats the storage if it is not formatted yet (in this JVM: a separate {@code StorageTool} JVM
 * would cost another second or two of start-up), then runs {@code kafka.Kafka} as the distribution's
 * {@code kafka-server-start.sh} does.
 *
 * <p>It also ends the broker when the parent JVM goes away, however it went: the parent holds the write
 * end of this process's standard input, and the operating system closes it even after a SIGKILL. So a
 * test JVM that crashes, or a dev mode killed with {@code kill -9}, never leaves a broker holding its ports.
 *
 * <p>Arguments: {@code <server.properties> <cluster id>}.
 */
public final class BrokerProcessMain {

    /** How long a graceful shutdown may take once the parent is gone, before the process halts. */
    private static final long ORPHAN_HALT_SECONDS = 20;

    private BrokerProcessMain() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: BrokerProcessMain <server.properties> <cluster id>");
            System.exit(2);
        }
        String serverProperties = args[0];
        String clusterId = args[1];
        // Ctrl-C in a terminal sends SIGINT to every process of the foreground group, this child too. The
        // parent must stop the apps first (the web producer flushes to this broker) and then the broker, with
        // SIGTERM; so this JVM ignores SIGINT. Set before Kafka starts: the JVM then installs no handler of its
        // own or Kafka's for it.
        Signal.handle(new Signal("INT"), SignalHandler.SIG_IGN);

        Thread orphanWatch = new Thread(BrokerProcessMain::exitWhenParentIsGone, "parent-watch");
        orphanWatch.setDaemon(true);
        orphanWatch.start();

        // --ignore-formatted: a restart on the same data keeps its cluster id and its records.
        int formatted = kafka.tools.StorageTool.execute(
                new String[] {"format", "-t", clusterId, "-c", serverProperties, "--ignore-formatted"}, System.out);
        if (formatted != 0) {
            System.err.println("formatting the broker's storage failed (exit code " + formatted + ")");
            System.exit(formatted);
        }
        kafka.Kafka.main(new String[] {serverProperties});
    }

    private static void exitWhenParentIsGone() {
        InputStream parent = System.in;
        try {
            while (parent.read() != -1) {
                // the parent never writes; any byte is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same thing as end of stream
        }
        System.err.println("parent JVM is gone: shutting the broker down");
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
        // System.exit runs Kafka's own shutdown hook: a clean shutdown, so the next start needs no recovery.
        System.exit(0);
    }
}
