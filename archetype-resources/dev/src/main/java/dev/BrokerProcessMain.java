package ${package}.dev;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The main class of the broker's child JVM, started by {@link LocalKafkaBroker} (under
 * {@link ${package}.dev.process.ParentWatchedMain}, which ends it when the parent JVM goes away).
 *
 * <p>It formats the storage if it is not formatted yet (in this JVM: a separate {@code StorageTool} JVM
 * would cost another start-up), then runs {@code kafka.Kafka} as the distribution's
 * {@code kafka-server-start.sh} does.
 *
 * <p>Arguments: {@code <server.properties> <cluster id>}.
 */
public final class BrokerProcessMain {

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

        // --ignore-formatted: a restart on the same data keeps its cluster id and its records.
        int formatted = kafka.tools.StorageTool.execute(
                new String[] {"format", "-t", clusterId, "-c", serverProperties, "--ignore-formatted"}, System.out);
        if (formatted != 0) {
            System.err.println("formatting the broker's storage failed (exit code " + formatted + ")");
            System.exit(formatted);
        }
        kafka.Kafka.main(new String[] {serverProperties});
    }
}
