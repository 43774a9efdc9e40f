/*
 * Runs after the archetype plugin has written the project.
 *
 * 1. Validates the properties. The plugin checks validationRegex only in interactive mode, so this is
 *    where bad values are caught for `-B` and for archetype.properties files. On any problem the generated
 *    directory is removed (nothing half-made stays behind) and generation fails with every problem listed,
 *    each naming the property, the value, the rule and a fix.
 * 2. Finishes what the plugin cannot do: keeps the compose file of the chosen broker mode and node count, removes the
 *    files the chosen property set does not use (the leader-kill test of a single node, everything of PostgreSQL in
 *    a jsonl project), writes a KRaft cluster id and a PostgreSQL password into .env, and restores the executable
 *    bit of mvnw and of shell scripts.
 * 3. Records the answers (.mvn/clicklog-archetype/answers.properties): the archetype's coordinates and every
 *    property value, the cluster id and password included, for the upgrade command beside it. Nothing else here
 *    is random or time-dependent, so the same answers generate a byte-identical tree: that is what lets an upgrade
 *    diff two generations and see only the template's change.
 */
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.security.SecureRandom

Path projectDir = Path.of(request.outputDirectory, request.artifactId)
Properties props = request.properties

List<String> problems = ClicklogProperties.problems(props)
if (!problems.isEmpty()) {
    deleteTree(projectDir)
    String message = "Invalid archetype properties, nothing was generated:\n" +
            problems.collect { "  - " + it }.join("\n") + "\n"
    System.err.println(message)
    throw new IllegalArgumentException(message)
}

// The broker file of the chosen topology becomes docker-compose.broker.yml; the others go.
String topology = props.getProperty('kafkaNodes') == '3' ? 'kraft-cluster' : props.getProperty('brokerMode')
Path chosen = projectDir.resolve("docker-compose.broker.${topology}.yml")
Files.move(chosen, projectDir.resolve('docker-compose.broker.yml'), StandardCopyOption.REPLACE_EXISTING)
['kraft', 'kraft-cluster', 'zookeeper'].each { Files.deleteIfExists(projectDir.resolve("docker-compose.broker.${it}.yml")) }

String packagePath = props.getProperty('package').replace('.', '/')

// The leader-kill fault test needs a cluster: a single-node project gets no such test rather than one that skips.
if (props.getProperty('kafkaNodes') != '3') {
    Files.delete(projectDir.resolve("loadtest/src/test/java/${packagePath}/loadtest/fault/LeaderKillFaultIT.java"))
}

// A jsonl project carries nothing of PostgreSQL. Its code is in every project's templates (whole files, not
// #if blocks): every directory named postgres under a module's own package (consumer/postgres, loadtest's
// postgres, ...), every class whose name starts with Postgres there (the fault tests, which share their package's
// package-private pipeline), LocalPostgres and its test, and the consumer's migrations. Whichever exist go.
if (props.getProperty('sink') != 'postgres') {
    List<Path> postgresOnly = ["dev/src/main/java/${packagePath}/dev/LocalPostgres.java",
                               "dev/src/test/java/${packagePath}/dev/LocalPostgresIT.java",
                               'consumer/src/main/resources/db'].collect { projectDir.resolve(it.toString()) }
    Files.list(projectDir).withCloseable { it.filter { Files.isDirectory(it) }.toList() }.each { Path module ->
        ['main', 'test'].each { scope ->
            // below <package>/<module>, so that a package with a segment named postgres keeps its code
            Path moduleCode = module.resolve("src/${scope}/java/${packagePath}/${module.fileName}")
            if (Files.isDirectory(moduleCode)) {
                Files.walk(moduleCode).withCloseable { paths ->
                    postgresOnly.addAll(paths.filter { it != moduleCode && ((Files.isDirectory(it) && it.fileName.toString() == 'postgres')
                            || (Files.isRegularFile(it) && it.fileName.toString() ==~ /Postgres[A-Za-z]*\.java/)) }.toList())
                }
            }
        }
    }
    postgresOnly.each { deleteTree(it) }
}

// Made once per project; given back (-DkafkaClusterId=..., -DpostgresPassword=...) they are reused.
String clusterId = props.getProperty('kafkaClusterId') == 'random' ? newClusterId() : props.getProperty('kafkaClusterId')
String postgresPassword = props.getProperty('postgresPassword') == 'random' ? newPostgresPassword() : props.getProperty('postgresPassword')
Path env = projectDir.resolve('.env')
Files.writeString(env, Files.readString(env).replace('__KAFKA_CLUSTER_ID__', clusterId)
        .replace('__POSTGRES_PASSWORD__', postgresPassword))

// Velocity has no arithmetic on string properties: the other nodes' ports (node n: port + 100 * (n - 1)) are
// filled in here, as __kafkaOutsidePort_2__ and the like, in .env, the README and the sources (the doctor's
// generated node layouts and host bootstrap list).
Map<String, String> nodePorts = [:]
(2..3).each { n ->
    ClicklogProperties.NODE_PORTS.each { name ->
        nodePorts["__${name}_${n}__".toString()] =
                String.valueOf(Integer.parseInt(props.getProperty(name)) + ClicklogProperties.NODE_PORT_STEP * (n - 1))
    }
}
Files.walk(projectDir).withCloseable { files ->
    files.filter { Files.isRegularFile(it) && (it.fileName.toString() in ['.env', 'README.md'] ||
            it.fileName.toString() ==~ /.*\.(java|properties|yml)/) }
            .forEach { Path path ->
                String text = Files.readString(path)
                String filled = text
                nodePorts.each { token, port -> filled = filled.replace(token, port) }
                if (filled != text) {
                    Files.writeString(path, filled)
                }
            }
}

// The plugin writes every file 0644: give the wrapper and any shell script back their executable bit.
Files.walk(projectDir).withCloseable { files ->
    files.filter { Files.isRegularFile(it) && (it.fileName.toString() == 'mvnw' || it.fileName.toString().endsWith('.sh')) }
            .forEach { it.toFile().setExecutable(true, false) }
}

Answers.write(projectDir.resolve(Answers.FILE), request.archetypeGroupId, request.archetypeArtifactId,
        request.archetypeVersion, props, [kafkaClusterId: clusterId, postgresPassword: postgresPassword])

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what `kafka-storage random-uuid` prints). */
static String newClusterId() {
    UUID uuid = UUID.randomUUID()
    ByteBuffer bytes = ByteBuffer.allocate(16).putLong(uuid.mostSignificantBits).putLong(uuid.leastSignificantBits)
    return Base64.urlEncoder.withoutPadding().encodeToString(bytes.array())
}

/**
 * The compose PostgreSQL's password, new for each project: 24 random bytes, URL-safe base64 without padding, so
 * 32 characters of A-Z a-z 0-9 - _ that need no quoting in .env, a JDBC URL or a shell.
 */
static String newPostgresPassword() {
    byte[] bytes = new byte[24]
    new SecureRandom().nextBytes(bytes)
    return Base64.urlEncoder.withoutPadding().encodeToString(bytes)
}

static void deleteTree(Path dir) {
    if (Files.exists(dir)) {
        Files.walk(dir).sorted(Comparator.reverseOrder()).forEach { Files.delete(it) }
    }
}

/**
 * The answers file: what this generation was given, in the form `archetype:generate -D...` takes, so that the
 * upgrade command (.mvn/clicklog-archetype/Upgrade.java) can generate this version and the next with the same values.
 * A properties file with a fixed order and no date line (Properties.store writes one), so that it is byte-identical for
 * the same answers.
 */
class Answers {
    static final String FILE = '.mvn/clicklog-archetype/answers.properties'
    static final List<String> PROJECT_KEYS = ['groupId', 'artifactId', 'version', 'package']

    static void write(Path file, String groupId, String artifactId, String version, Properties props,
                      Map<String, String> madeOnce) {
        StringBuilder text = new StringBuilder()
        text << '# The answers this project was generated with: the archetype and every property value.\n'
        text << '# The upgrade command reads them (README, "Upgrading this project"); it generates this version and the\n'
        text << '# next one with them and merges the difference into this tree. Edit a value only together with what it made.\n'
        text << '\n'
        [archetypeGroupId: groupId, archetypeArtifactId: artifactId, archetypeVersion: version].each { key, value ->
            text << line(key, value)
        }
        text << '\n'
        PROJECT_KEYS.each { text << line(it, props.getProperty(it)) }
        text << '\n'
        props.stringPropertyNames().findAll { !(it in PROJECT_KEYS) && !madeOnce.containsKey(it) }.sort().each {
            text << line(it, props.getProperty(it))
        }
        text << '\n'
        text << '# Made once for this project (random at generation; only used where the chosen properties need them).\n'
        text << '# An upgrade reuses them, so .env keeps its cluster id and password.\n'
        madeOnce.keySet().sort().each { text << line(it, madeOnce[it]) }
        Files.createDirectories(file.parent)
        Files.writeString(file, text.toString())
    }

    /** key=value in the properties format: \\, control characters and non-ASCII escaped, a leading blank kept. */
    static String line(String key, String value) {
        StringBuilder escaped = new StringBuilder()
        value.toCharArray().eachWithIndex { char c, int i ->
            switch (c) {
                case '\\': escaped << '\\\\'; break
                case '\n': escaped << '\\n'; break
                case '\r': escaped << '\\r'; break
                case '\t': escaped << '\\t'; break
                case '\f': escaped << '\\f'; break
                default:
                    if (i == 0 && c == (char) ' ') {
                        escaped << '\\ '
                    } else if (c < (char) 0x20 || c > (char) 0x7e) {
                        escaped << String.format('\\u%04x', (int) c)
                    } else {
                        escaped << c
                    }
            }
        }
        return "${key}=${escaped}\n"
    }
}

/** The validation rules, one place; src/test/java tests them through the same file. */
class ClicklogProperties {
    /**
     * In the order they are checked: of two equal ports the later one is reported. webManagementPort is last, being
     * the newest: a project generated before it (upgraded, or regenerated from its answers) whose other ports happen to
     * use its default is told to choose another -DwebManagementPort, not to move a port it already has.
     */
    static final List<String> PORTS = ['kafkaOutsidePort', 'kafkaInsidePort', 'kafkaControllerPort',
                                       'zookeeperPort', 'webPort', 'consumerPort', 'webManagementPort']
    static final Set<String> JAVA_KEYWORDS = ('abstract assert boolean break byte case catch char class const ' +
            'continue default do double else enum extends final finally float for goto if implements import ' +
            'instanceof int interface long native new package private protected public return short static ' +
            'strictfp super switch synchronized this throw throws transient try void volatile while true false ' +
            'null _ var record yield sealed permits non-sealed').split(' ') as Set

    /** Node n of a cluster uses each Kafka port + NODE_PORT_STEP * (n - 1): 9092, 9192, 9292 for OUTSIDE. */
    static final int NODE_PORT_STEP = 100
    /** The Kafka ports that exist once per node (OUTSIDE is published per node; dev mode runs every node on one host). */
    static final List<String> NODE_PORTS = ['kafkaOutsidePort', 'kafkaInsidePort', 'kafkaControllerPort']

    static List<String> problems(Properties props) {
        List<String> problems = []

        String nodesValue = props.getProperty('kafkaNodes')
        int nodes = nodesValue in ['1', '3'] ? Integer.parseInt(nodesValue) : 1
        if (!(nodesValue in ['1', '3'])) {
            problems << "kafkaNodes='${nodesValue}': must be 1 (one broker) or 3 (a KRaft cluster of three nodes: replication factor 3, min.insync.replicas 2) (for example -DkafkaNodes=3)"
        }
        String mode = props.getProperty('brokerMode')
        if (!(mode in ['kraft', 'zookeeper'])) {
            problems << "brokerMode='${mode}': must be kraft or zookeeper (-DbrokerMode=kraft)"
        } else if (mode == 'zookeeper' && nodes > 1) {
            problems << "brokerMode='zookeeper' with kafkaNodes='${nodesValue}': the cluster option is KRaft only (ZooKeeper mode is Kafka 3.9, the end of its line); use -DbrokerMode=kraft -DkafkaNodes=3, or -DkafkaNodes=1 for ZooKeeper mode"
        }

        Map<Integer, String> portOwners = [:]
        PORTS.each { name ->
            String value = props.getProperty(name)
            Integer port = value ==~ /[0-9]{1,5}/ ? Integer.valueOf(value) : null
            if (port == null || port < 1 || port > 65535) {
                problems << "${name}='${value}': a port must be an integer from 1 to 65535 (for example -D${name}=${defaultPort(name)})"
            } else if (portOwners.containsKey(port)) {
                problems << "${portValue(name, value)}: the same port as ${portOwners[port]}; every port must be different (choose another -D${name})"
            } else {
                portOwners[port] = name
            }
        }
        String sink = props.getProperty('sink')
        if (!(sink in ['jsonl', 'postgres'])) {
            problems << "sink='${sink}': must be jsonl (the consumer appends clicks to JSON Lines files) or postgres (it stores them in a PostgreSQL table, with a postgres compose service) (for example -Dsink=postgres)"
        }
        // postgresPort publishes the compose postgres service on the host: none keeps it on the compose network.
        String postgresPort = props.getProperty('postgresPort')
        if (postgresPort != 'none') {
            Integer port = postgresPort ==~ /[0-9]{1,5}/ ? Integer.valueOf(postgresPort) : null
            if (port == null || port < 1 || port > 65535) {
                problems << "postgresPort='${postgresPort}': must be none (PostgreSQL on the compose network only) or a port from 1 to 65535 to publish it on 127.0.0.1 (for example -DpostgresPort=5432)"
            } else if (sink == 'jsonl') {
                problems << "postgresPort='${postgresPort}': postgresPort is only used with -Dsink=postgres (a jsonl project has no database); add -Dsink=postgres or leave -DpostgresPort out"
            } else if (portOwners.containsKey(port)) {
                problems << "postgresPort='${postgresPort}': the same port as ${portOwners[port]}; every port must be different (choose another -DpostgresPort)"
            } else {
                portOwners[port] = 'postgresPort'
            }
        }

        if (nodes > 1) {
            // Nodes 2..n: checked after every given port is known, so a collision names both sides.
            NODE_PORTS.findAll { name -> portOwners.values().contains(name) }.each { name ->
                int first = Integer.parseInt(props.getProperty(name))
                (2..nodes).each { n ->
                    int port = first + NODE_PORT_STEP * (n - 1)
                    String label = "node ${n}'s ${name} (${name} + ${NODE_PORT_STEP * (n - 1)} = ${port})"
                    if (port > 65535) {
                        problems << "${name}='${first}': with kafkaNodes=${nodes} ${label} is above 65535; node n uses ${name} + ${NODE_PORT_STEP} * (n - 1), so choose -D${name} of at most ${65535 - NODE_PORT_STEP * (nodes - 1)}"
                    } else if (portOwners.containsKey(port)) {
                        problems << "${portValue(portOwners[port], String.valueOf(port))}: the same port as ${label}; with kafkaNodes=${nodes} node n uses each Kafka port + ${NODE_PORT_STEP} * (n - 1), so choose another -D${portOwners[port]} or -D${name}"
                    } else {
                        portOwners[port] = label
                    }
                }
            }
        }

        String partitions = props.getProperty('partitions')
        Integer partitionCount = partitions ==~ /[0-9]{1,5}/ ? Integer.valueOf(partitions) : null
        if (partitionCount == null || partitionCount < 1 || partitionCount > 1000) {
            problems << "partitions='${partitions}': the click topic's partition count must be an integer from 1 to 1000 (each partition is one file the consumer keeps open; for example -Dpartitions=3)"
        }

        String topic = props.getProperty('topic')
        if (topic == null || !(topic ==~ /[a-zA-Z0-9._-]+/) || topic in ['.', '..']) {
            problems << "topic='${topic}': a Kafka topic name uses only letters, digits, '.', '_' and '-', and is not '.' or '..' (for example -Dtopic=clicklog)"
        } else if (topic.length() > 245) {
            problems << "topic='${topic}': at most 245 characters, so that its dead-letter topic '<topic>.dlq' stays within Kafka's 249"
        } else if (topic.startsWith('__')) {
            problems << "topic='${topic}': names starting with '__' are reserved for Kafka's internal topics"
        }

        String pkg = props.getProperty('package')
        List<String> segments = pkg == null ? [] : pkg.split('\\.', -1) as List
        if (pkg == null || segments.any { !(it ==~ /[A-Za-z_$][A-Za-z0-9_$]*/) || it in JAVA_KEYWORDS }) {
            problems << "package='${pkg}': must be a Java package name, dot-separated identifiers that are not keywords (for example -Dpackage=com.example.clicks)"
        }

        String host = props.getProperty('kafkaOutsideHost')
        if (!validHost(host)) {
            problems << "kafkaOutsideHost='${host}': must be a host name (letters, digits, '-', dot-separated labels of at most 63 characters) or an IPv4 address; it is advertised to clients on the host (for example -DkafkaOutsideHost=localhost)"
        }

        String origins = props.getProperty('allowedOrigins')
        String originProblem = originsProblem(origins)
        // The default is http://localhost:<webPort>: a bad webPort is reported once, as itself.
        boolean derivedFromBadPort = origins == "http://localhost:${props.getProperty('webPort')}".toString() &&
                portOwners.values().every { it != 'webPort' }
        if (originProblem != null && !derivedFromBadPort) {
            problems << "allowedOrigins='${origins}': ${originProblem}"
        }

        // Made once per project: random makes a new one; an upgrade gives back the recorded value.
        String clusterId = props.getProperty('kafkaClusterId')
        if (clusterId != 'random' && !(clusterId ==~ /[A-Za-z0-9_-]{22}/)) {
            problems << "kafkaClusterId='${clusterId}': must be random (a new id) or a KRaft cluster id, 22 characters of URL-safe base64 as `kafka-storage.sh random-uuid` prints (for example -DkafkaClusterId=random)"
        }
        String password = props.getProperty('postgresPassword')
        if (password != 'random' && !(password ==~ /[A-Za-z0-9_-]{16,64}/)) {
            problems << "postgresPassword='${password}': must be random (a new one) or 16 to 64 characters of A-Z a-z 0-9 - _ (no quoting in .env, a JDBC URL or a shell) (for example -DpostgresPassword=random)"
        }
        return problems
    }

    /**
     * Null if the value is * or a comma-separated list of origins as browsers send them, scheme://host[:port], and
     * subdomain patterns, scheme://*.domain[:port] (the web producer reads CLICK_ALLOWED_ORIGINS with the same rules,
     * in AllowedOrigins).
     */
    static String originsProblem(String value) {
        String example = "(for example -DallowedOrigins=https://www.example.com,http://localhost:8080, or * for any origin)"
        if (value == null || value.trim().isEmpty()) {
            return "list the origins of the pages that send clicks, comma-separated ${example}"
        }
        List<String> entries = value.split(',', -1).collect { it.trim() }
        if (entries.contains('*')) {
            return entries.size() == 1 ? null : "* already allows every origin: give either * alone or a list of origins ${example}"
        }
        for (String entry : entries) {
            if (entry.contains('*')) {
                String problem = subdomainPatternProblem(entry)
                if (problem != null) {
                    return problem
                }
                continue
            }
            if (!isOrigin(entry)) {
                return "'${entry}' is not an origin: scheme://host[:port] with http or https and no path, not even a trailing / ${example}"
            }
        }
        return null
    }

    /**
     * Null if the entry is scheme://*.domain[:port]: * is the whole leftmost label, once, and the domain after it
     * has at least two labels (*.com would allow a whole top-level domain) and is not an IP address.
     */
    static String subdomainPatternProblem(String entry) {
        String example = "(for example -DallowedOrigins=https://*.example.com,https://example.com: the pattern allows https://shop.example.com and https://eu.shop.example.com, the second entry the domain itself)"
        String shape = "'${entry}' is not a subdomain pattern: scheme://*.domain[:port] with http or https and no path, not even a trailing / ${example}"
        int schemeEnd = entry.indexOf('://')
        if (schemeEnd < 0) {
            return shape
        }
        String afterScheme = entry.substring(schemeEnd + 3)
        if (!afterScheme.startsWith('*.') || afterScheme.indexOf('*', 1) >= 0) {
            return "'${entry}' is not a subdomain pattern: * may only be the whole leftmost label, once, followed by a dot ${example}"
        }
        String domainAndPort = afterScheme.substring(2)
        String domain = domainAndPort.split('[:/?]', 2)[0]
        // Browsers read a host whose last label is a number as an IPv4 address; IPv6 ones are in brackets.
        if (domain.startsWith('[') || domain.substring(domain.lastIndexOf('.') + 1) ==~ /[0-9]+/) {
            return "'${entry}' is not a subdomain pattern: after *. comes a domain name, not an IP address (list such origins one by one) ${example}"
        }
        if (!isOrigin(entry.substring(0, schemeEnd + 3) + domainAndPort)) {
            return shape
        }
        String host = domain.toLowerCase(Locale.ROOT)
        if (host.split('\\.').length < 2) {
            return "'${entry}' is not a subdomain pattern: after *. comes a domain of at least two labels: *.${host} would allow every site under .${host} ${example}"
        }
        return null
    }

    /** scheme://host[:port] with http or https (in any case, as browsers and the web producer read it), no path. */
    static boolean isOrigin(String entry) {
        def match = entry =~ /^(?i)(http|https):\/\/([^:\/?#]+)(?::([0-9]{1,5}))?$/
        return match.matches() && validHost(match.group(2))
                && (match.group(3) == null || (Integer.parseInt(match.group(3)) >= 1 && Integer.parseInt(match.group(3)) <= 65535))
    }

    static boolean validHost(String host) {
        if (host == null || host.isEmpty() || host.length() > 253) {
            return false
        }
        if (host ==~ /[0-9.]+/) {
            List<String> octets = host.split('\\.', -1) as List
            return octets.size() == 4 && octets.every { it ==~ /[0-9]{1,3}/ && Integer.parseInt(it) <= 255 }
        }
        return host.split('\\.', -1).every { it ==~ /[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?/ }
    }

    /** name='value', and (its default) when it is: a collision with a default the user never gave says so. */
    static String portValue(String name, String value) {
        return "${name}='${value}'" + (value == defaultPort(name) ? ' (its default)' : '')
    }

    static String defaultPort(String name) {
        [kafkaOutsidePort: '9092', kafkaInsidePort: '9093', kafkaControllerPort: '9094',
         zookeeperPort: '2181', webPort: '8000', consumerPort: '8001', webManagementPort: '8002'][name]
    }
}
