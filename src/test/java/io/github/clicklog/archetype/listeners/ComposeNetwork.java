package io.github.clicklog.archetype.listeners;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A compose network without Docker: one network namespace per container, all joined by a bridge like
 * Docker's, every compose service name in each namespace's own /etc/hosts (compose's DNS answers every
 * service on the network, from every container on it), and published ports forwarded like Docker does.
 *
 * <p>The bridge lives in a namespace of its own, and each container has one veth to it with a private
 * address on it: nothing is added to the host's namespace except the socat that publishes a port on the
 * host's loopback. Namespace names carry a random run id, so parallel runs do not meet. {@link #close()}
 * removes everything, also after a failure, and a shutdown hook does the same if the JVM is stopped.
 */
final class ComposeNetwork implements AutoCloseable {

    /** 10.213.0.0/24 is ours inside the namespaces only: the bridge's network, one address per container. */
    private static final String SUBNET = "10.213.0.";
    private static final String BRIDGE = "bridge";

    private final String runId;
    private final Path workDir;
    private final Map<String, String> namespaces = new LinkedHashMap<>();
    private final Map<String, String> addresses = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();
    private final Thread cleanupOnExit = new Thread(this::removeQuietly, "compose-network-cleanup");
    private boolean closed;
    private Path socketDir;

    private ComposeNetwork(Path workDir) {
        this.runId = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
        this.workDir = workDir;
    }

    /**
     * Creates the network and one namespace per container, each with the compose names of every container.
     *
     * @param containers container name to the names (compose service names, host names) it answers to
     */
    static ComposeNetwork create(Map<String, List<String>> containers, Path workDir) throws IOException {
        ComposeNetwork network = new ComposeNetwork(workDir);
        Runtime.getRuntime().addShutdownHook(network.cleanupOnExit);
        try {
            network.build(containers);
        } catch (IOException | RuntimeException e) {
            network.close();
            throw e;
        }
        return network;
    }

    private void build(Map<String, List<String>> containers) throws IOException {
        if (containers.size() > 250) {
            throw new IllegalArgumentException("one /24 holds at most 250 containers");
        }
        addNamespace(BRIDGE);
        String bridgeNs = namespaces.get(BRIDGE);
        sh("ip", "-n", bridgeNs, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", bridgeNs, "link", "set", "br0", "up");
        int host = 2;
        for (String container : containers.keySet()) {
            addNamespace(container);
            String ns = namespaces.get(container);
            String ip = SUBNET + host;
            String port = "port" + host;
            // Both ends are created inside their namespaces: no interface name is ever taken in the host's.
            sh("ip", "link", "add", port, "netns", bridgeNs, "type", "veth", "peer", "name", "eth0", "netns", ns);
            sh("ip", "-n", bridgeNs, "link", "set", port, "master", "br0");
            sh("ip", "-n", bridgeNs, "link", "set", port, "up");
            sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0");
            sh("ip", "-n", ns, "link", "set", "eth0", "up");
            sh("ip", "-n", ns, "link", "set", "lo", "up");
            addresses.put(container, ip);
            host++;
        }
        String machine = InetAddress.getLocalHost().getHostName();
        Map<String, String> names = new LinkedHashMap<>();
        containers.forEach((container, aliases) -> names.put(addresses.get(container), String.join(" ", aliases)));
        for (String container : containers.keySet()) {
            writeHosts(container, machine, names);
        }
    }

    private void addNamespace(String container) throws IOException {
        String ns = "clk" + runId + "-" + container;
        sh("ip", "netns", "add", ns);
        namespaces.put(container, ns);
    }

    /**
     * {@code ip netns exec} mounts /etc/netns/NS/hosts over /etc/hosts, and that file replaces the host's
     * entirely: localhost and the machine's own name must be in it too (Java looks the latter up).
     */
    private void writeHosts(String container, String machine, Map<String, String> names) throws IOException {
        Path dir = Path.of("/etc/netns", namespaces.get(container));
        Files.createDirectories(dir);
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n::1 localhost ip6-localhost\n");
        hosts.append(addresses.get(container)).append(' ').append(machine).append('\n');
        names.forEach((ip, name) -> hosts.append(ip).append(' ').append(name).append('\n'));
        Files.writeString(dir.resolve("hosts"), hosts.toString());
    }

    /** A container's address on the network. */
    String address(String container) {
        return addresses.get(container);
    }

    /**
     * Starts a process inside a container (or on the host for {@code container == null}) with exactly the
     * given environment, output to {@code log}. The process is stopped by {@link #close()} at the latest.
     */
    Process start(String container, List<String> command, Map<String, String> environment, Path dir, Path log)
            throws IOException {
        List<String> full = new ArrayList<>();
        if (container != null) {
            full.addAll(List.of("ip", "netns", "exec", namespaces.get(container)));
        }
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.start();
        synchronized (processes) {
            processes.add(process);
        }
        return process;
    }

    /** Runs a process to its end (or kills it after {@code timeout}) and returns its exit status. */
    int run(String container, List<String> command, Map<String, String> environment, Path dir, Path log,
            Duration timeout) throws IOException, InterruptedException {
        Process process = start(container, command, environment, dir, log);
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            stop(process);
            Files.writeString(log, "\n[killed after " + timeout.toSeconds() + " s]\n",
                    java.nio.file.StandardOpenOption.APPEND);
            return -1;
        }
        return process.exitValue();
    }

    /**
     * Publishes {@code hostPort} on the host's 127.0.0.1 to the container's own address, port
     * {@code containerPort}, like Docker's {@code "127.0.0.1:HOST:CONTAINER"}: not to the container's
     * loopback, so a listener bound to the container's loopback is out of reach here too. Two socats joined
     * by a unix socket carry it across the namespace boundary.
     */
    Process[] publish(String container, int hostPort, int containerPort) throws IOException, InterruptedException {
        // A unix socket path has at most 107 characters: deep build directories are too long for it.
        if (socketDir == null) {
            socketDir = Files.createTempDirectory("clk" + runId);
        }
        Path socket = socketDir.resolve(hostPort + ".sock");
        Files.deleteIfExists(socket);
        Process inside = start(container, List.of("socat", "-b", "262144",
                        "UNIX-LISTEN:" + socket + ",fork,unlink-early",
                        "TCP:" + address(container) + ":" + containerPort),
                Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), workDir,
                workDir.resolve("publish-" + hostPort + "-container.log"));
        Process onHost = start(null, List.of("socat", "-b", "262144",
                        "TCP-LISTEN:" + hostPort + ",bind=127.0.0.1,reuseaddr,fork",
                        "UNIX-CONNECT:" + socket),
                Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), workDir,
                workDir.resolve("publish-" + hostPort + "-host.log"));
        // socat fails at once on a bad address or a taken port; a dead forwarder must not pass for a
        // published port with nothing behind it.
        Thread.sleep(300);
        for (Process forwarder : List.of(inside, onHost)) {
            if (!forwarder.isAlive()) {
                throw new IOException("publishing 127.0.0.1:" + hostPort + " failed: "
                        + Files.readString(workDir.resolve("publish-" + hostPort + "-container.log"))
                        + Files.readString(workDir.resolve("publish-" + hostPort + "-host.log")));
            }
        }
        return new Process[] {inside, onHost};
    }

    /** Waits until something accepts TCP connections at ip:port as seen from {@code container}. */
    boolean awaitPort(String container, String ip, int port, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Process probe = new ProcessBuilder("ip", "netns", "exec", namespaces.get(container), "bash", "-c",
                    "exec 3<>/dev/tcp/" + ip + "/" + port).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (probe.waitFor(2, TimeUnit.SECONDS) && probe.exitValue() == 0) {
                return true;
            }
            probe.destroyForcibly();
            Thread.sleep(200);
        }
        return false;
    }

    /** SIGTERM first, as {@code docker compose stop} does: the apps close their Kafka clients and leave the group. */
    static void stopGracefully(Process process) {
        process.destroy();
        try {
            if (process.waitFor(15, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stop(process);
    }

    static void stop(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every process started here, then removes namespaces and hosts files. */
    @Override
    public void close() {
        removeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }

    private synchronized void removeQuietly() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (processes) {
            processes.forEach(ComposeNetwork::stop);
            processes.clear();
        }
        for (String ns : namespaces.values()) {
            try {
                sh("ip", "netns", "delete", ns);
            } catch (IOException | RuntimeException e) {
                System.err.println("[listeners] could not delete network namespace " + ns + ": " + e.getMessage());
            }
            deleteTree(Path.of("/etc/netns", ns));
        }
        if (socketDir != null) {
            deleteTree(socketDir);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("[listeners] could not delete " + dir + ": " + e.getMessage());
        }
    }

    /** Runs a setup command; fails with its output. */
    static void sh(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + " interrupted", e);
        }
    }
}
