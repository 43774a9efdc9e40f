package io.github.clicklog.archetype.upgrade;

import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.ADDED_FILE;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.ADDED_TEXT;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.DELETED_FILE;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.NEW_PROPERTY;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.RENAMED_FROM;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.RENAMED_TO;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.SLF4J_AFTER;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.V1;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.V2;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.V3;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.read;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.replace;
import static io.github.clicklog.archetype.upgrade.UpgradeFixtures.write;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The upgrade command (.mvn/clicklog-archetype/Upgrade.java of a generated project) driven as a team would drive it,
 * in generated projects under git, between the fixture versions of {@link UpgradeFixtures}. Run by the it-upgrade
 * IT's verify.groovy: every scenario runs, each prints what it saw, and a failure of any fails the IT with all of them.
 */
public final class UpgradeScenarios {
    static final String ANSWERS = ".mvn/clicklog-archetype/answers.properties";
    static final String BROKER_FILE = "docker-compose.broker.yml";
    /** Made-once values for the generations that must be byte-identical. */
    static final String CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg";
    static final String PASSWORD = "UpgradeScenariosPassword-0123456";

    private final Path work;
    /** The Maven that generates the teams' projects: the one running the ITs, on their local repository. */
    private final List<String> maven;
    /** For the upgrade command's ./mvnw (Maven 3.9 reads MAVEN_ARGS): the same local repository and settings. */
    private final Map<String, String> environment;
    private final Path java;
    private final List<String> outcomes = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    /** The archetype plugin's version, from the archetype's pom (the IT's script variables). */
    private final String archetypePluginVersion;

    public UpgradeScenarios(Path work, Path mavenHome, Path localRepository, Path settings, String archetypePluginVersion) {
        this.work = work;
        this.archetypePluginVersion = archetypePluginVersion;
        List<String> repository = List.of("-Dmaven.repo.local=" + localRepository, "-s", settings.toString());
        this.maven = new ArrayList<>(List.of(mavenHome.resolve("bin/mvn").toString()));
        this.maven.addAll(repository);
        this.environment = Map.of("MAVEN_ARGS", String.join(" ", repository), "GIT_EDITOR", "true");
        this.java = Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * Builds the fixture versions from the archetype at {@code archetype}, runs every scenario and fails with every
     * failure; {@code current} is a project generated from this build's own version (the IT's first invocation).
     */
    public void runAll(Path archetype, Path current) {
        long start = System.nanoTime();
        UpgradeFixtures.build(archetype, work.resolve("fixtures"), maven);
        outcome("fixtures " + V1 + ", " + V2 + ", " + V3 + " built and installed in " + seconds(start) + " s");
        scenario("1 team edits kept, template changes arrived", this::editsAndTemplateChanges);
        scenario("2 same line changed: conflict, git's markers, abort restores HEAD", this::sameLineConflict);
        scenario("3 a renamed file keeps the team's edit", this::renameFollowsEdit);
        scenario("4 a file the team deleted and the template changed: delete/modify", this::deleteModifyConflict);
        scenario("5 a new required property without default", this::newRequiredProperty);
        scenario("6 dirty tree refused; N to N no-op; N to N+2", this::dirtyNoOpAndTwoSteps);
        scenario("7 same answers, byte-identical trees", () -> sameAnswersSameTree(current));
        outcomes.forEach(System.out::println);
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " upgrade scenario(s) failed:\n" + String.join("\n\n", failures));
        }
    }

    private void scenario(String name, Runnable body) {
        long start = System.nanoTime();
        try {
            body.run();
            outcome("PASS scenario " + name + " (" + seconds(start) + " s)");
        } catch (AssertionError | RuntimeException e) {
            outcome("FAIL scenario " + name + " (" + seconds(start) + " s): " + e.getMessage());
            failures.add("scenario " + name + ": " + e);
        }
    }

    private void outcome(String line) {
        outcomes.add(line);
        System.out.println("[it-upgrade] " + line);
    }

    /** 1: the team edits the web producer's code and .env; N+1's every change arrives, every edit stays. */
    private void editsAndTemplateChanges() {
        Path project = teamProject("edits", V1);
        Path routes = javaFile(project, "web", "WebRoutes.java");
        String teamLine = "// The team's own line, outside what the template changes.";
        String routesText = read(routes);
        int afterPackage = routesText.indexOf('\n', routesText.indexOf("package ")) + 1;
        write(routes, routesText.substring(0, afterPackage) + teamLine + "\n" + routesText.substring(afterPackage));
        replace(project.resolve(".env"), "WEB_BIND=127.0.0.1\n", "WEB_BIND=0.0.0.0\n");
        commit(project, "Team edits");
        String before = head(project);
        String clusterId = read(project.resolve(".env")).lines().filter(line -> line.startsWith("KAFKA_CLUSTER_ID="))
                .findFirst().orElseThrow();

        Command dryRun = upgrade(project, "--to", V2, "--dry-run");
        expect(dryRun.exitCode() == 0, "the dry run exits 0 for a clean merge", dryRun);
        expect(dryRun.output().contains("merges without a conflict"), "the dry run says it merges cleanly", dryRun);
        expect(head(project).equals(before) && status(project).isEmpty(), "the dry run writes nothing", dryRun);

        Command upgrade = upgrade(project, "--to", V2);
        expect(upgrade.exitCode() == 0, "the upgrade exits 0", upgrade);
        expect(upgrade.output().contains("## " + V2), "the upgrade prints what " + V2 + " changes (CHANGES.md)", upgrade);
        expect(git(project, "rev-parse", "HEAD~1").strip().equals(before), "one new commit on top of the team's", upgrade);
        expect(status(project).isEmpty(), "a clean tree after the upgrade: " + status(project), upgrade);
        expect(git(project, "log", "-1", "--format=%s").strip().equals("Upgrade to clicklog-archetype " + V2 + " (from " + V1 + ")"),
                "the commit says what it is", upgrade);
        String routesAfter = read(routes);
        expect(routesAfter.contains(teamLine), "the team's line in WebRoutes.java stays", upgrade);
        expect(routesAfter.contains("\"/demo/clicklog-demo.css\""), "the template's change of WebRoutes.java arrives", upgrade);
        expect(read(project.resolve(".env")).contains("WEB_BIND=0.0.0.0\n"), "the team's .env edit stays", upgrade);
        expect(read(project.resolve(".env")).contains(clusterId + "\n"), "the project's own cluster id stays (" + clusterId + ")",
                upgrade);
        expect(read(project.resolve("pom.xml")).contains(SLF4J_AFTER), "the dependency bump arrives", upgrade);
        expect(Files.isRegularFile(project.resolve(ADDED_FILE)) && read(project.resolve(ADDED_FILE)).equals(ADDED_TEXT),
                "the added file arrives", upgrade);
        expect(!Files.exists(project.resolve(DELETED_FILE)), "the deleted file is gone", upgrade);
        String broker = read(project.resolve(BROKER_FILE));
        expect(broker.contains("interval: 5s") && !broker.contains("interval: 10s"), "the healthcheck change arrives", upgrade);
        expect(Files.exists(project.resolve(RENAMED_TO)) && !Files.exists(project.resolve(RENAMED_FROM)),
                "the rename arrives", upgrade);
        expect(answers(project).getProperty("archetypeVersion").equals(V2), "the answers say " + V2, upgrade);

        long start = System.nanoTime();
        List<String> verify = new ArrayList<>(List.of("./mvnw", "-B", "-q", "verify", "-DskipITs"));
        Command build = Command.run(project, environment, verify);
        expect(build.exitCode() == 0, "the upgraded project's ./mvnw verify -DskipITs (its unit tests) passes", build);
        outcome("  upgraded project's ./mvnw -B -q verify -DskipITs passed in " + seconds(start) + " s");
    }

    /** 2: the team and N+1 change the same line. */
    private void sameLineConflict() {
        Path project = teamProject("conflict", V1);
        replace(project.resolve(BROKER_FILE), "      interval: 10s\n", "      interval: 30s\n");
        commit(project, "Team: a slower broker healthcheck");
        String before = head(project);
        Map<String, String> files = snapshot(project);

        Command dryRun = upgrade(project, "--to", V2, "--dry-run");
        expect(dryRun.exitCode() == 1 && dryRun.output().contains(BROKER_FILE + "  (changed by both)"),
                "the dry run names the conflict", dryRun);
        expect(head(project).equals(before) && snapshot(project).equals(files) && status(project).isEmpty(),
                "the dry run writes nothing", dryRun);

        Command upgrade = upgrade(project, "--to", V2);
        expect(upgrade.exitCode() == 1, "the upgrade fails on the conflict", upgrade);
        List<String> unmerged = git(project, "diff", "--name-only", "--diff-filter=U").lines().toList();
        expect(unmerged.equals(List.of(BROKER_FILE)), "exactly " + BROKER_FILE + " conflicts: " + unmerged, upgrade);
        expect(upgrade.output().contains(BROKER_FILE + "  (changed by both)"), "the command names the path", upgrade);
        expect(upgrade.output().contains("git cherry-pick --continue") && upgrade.output().contains("git cherry-pick --abort"),
                "the command says how to finish and how to abort", upgrade);
        String conflicted = read(project.resolve(BROKER_FILE));
        expect(conflicted.contains("<<<<<<< HEAD\n") && conflicted.contains("\n=======\n") && conflicted.contains("\n>>>>>>> ")
                        && conflicted.contains("interval: 30s") && conflicted.contains("interval: 5s"),
                "git's markers around both sides", upgrade);

        // The same stopped upgrade twice (a copy of the project and its .git): aborted here, resolved in the copy.
        Path copy = work.resolve("conflict-resolved");
        Command.check(work, Map.of(), List.of("cp", "-a", project.toString(), copy.toString()));

        Command abort = Command.run(project, environment, List.of("git", "cherry-pick", "--abort"));
        expect(abort.exitCode() == 0, "git cherry-pick --abort works", abort);
        expect(head(project).equals(before), "the abort restores HEAD", abort);
        expect(snapshot(project).equals(files) && status(project).isEmpty(), "the abort restores every file byte for byte",
                abort);

        // Resolved as the README says: keep the team's interval, take the rest, continue.
        String resolved = read(copy.resolve(BROKER_FILE))
                .replaceAll("(?s)<<<<<<< HEAD\n(.*?)=======\n.*?>>>>>>> [^\n]*\n", "$1");
        write(copy.resolve(BROKER_FILE), resolved);
        git(copy, "add", BROKER_FILE);
        Command finish = Command.run(copy, environment, List.of("git", "cherry-pick", "--continue"));
        expect(finish.exitCode() == 0, "git cherry-pick --continue finishes it", finish);
        expect(read(copy.resolve(BROKER_FILE)).contains("interval: 30s") && status(copy).isEmpty()
                        && answers(copy).getProperty("archetypeVersion").equals(V2)
                        && git(copy, "rev-parse", "HEAD~1").strip().equals(before)
                        && Files.exists(copy.resolve(RENAMED_TO)),
                "resolved: the team's line, the template's other changes, " + V2 + " in the answers, one commit", finish);
    }

    /** 3: N+1 renames a file the team edited. */
    private void renameFollowsEdit() {
        Path project = teamProject("rename", V1);
        String teamRule = "/* the team's brand colour */\nh1 { color: #0b5394; }\n";
        write(project.resolve(RENAMED_FROM), read(project.resolve(RENAMED_FROM)) + teamRule);
        commit(project, "Team: brand colour");
        Command upgrade = upgrade(project, "--to", V2);
        expect(upgrade.exitCode() == 0, "the upgrade exits 0", upgrade);
        expect(!Files.exists(project.resolve(RENAMED_FROM)), RENAMED_FROM + " is renamed away", upgrade);
        expect(Files.exists(project.resolve(RENAMED_TO)) && read(project.resolve(RENAMED_TO)).endsWith(teamRule),
                "the team's edit follows the rename to " + RENAMED_TO, upgrade);
        expect(status(project).isEmpty(), "a clean tree", upgrade);
    }

    /** 4: the team deleted a file N+1 changes. */
    private void deleteModifyConflict() {
        Path project = teamProject("deleted", V1);
        git(project, "rm", "-q", BROKER_FILE);
        commit(project, "Team: our Kafka is managed, no broker compose file");
        String before = head(project);
        Command upgrade = upgrade(project, "--to", V2);
        expect(upgrade.exitCode() == 1, "the upgrade stops on the conflict", upgrade);
        expect(upgrade.output().contains(BROKER_FILE + "  (deleted by the team, changed by the template (delete/modify))"),
                "reported as a delete/modify conflict", upgrade);
        expect(git(project, "status", "--porcelain").lines().anyMatch(line -> line.equals("DU " + BROKER_FILE)),
                "git's status says deleted by us, modified by them", upgrade);
        expect(head(project).equals(before), "not committed: the file is not silently revived", upgrade);
        Command abort = Command.run(project, environment, List.of("git", "cherry-pick", "--abort"));
        expect(abort.exitCode() == 0 && !Files.exists(project.resolve(BROKER_FILE)) && status(project).isEmpty(),
                "abort leaves it deleted", abort);
    }

    /** 5: N+1 requires a property without a default. */
    private void newRequiredProperty() {
        Path project = teamProject("region", V2);
        String before = head(project);
        Map<String, String> files = snapshot(project);
        Command refused = upgrade(project, "--to", V3);
        expect(refused.exitCode() == 2, "refused (exit 2)", refused);
        expect(refused.output().contains(NEW_PROPERTY + ": give it with -D" + NEW_PROPERTY + "=<value>"),
                "names the property and its -D", refused);
        expect(!refused.output().contains("generate clicklog-archetype"), "refused before any generation", refused);
        expect(head(project).equals(before) && snapshot(project).equals(files) && status(project).isEmpty(),
                "nothing changed", refused);

        Command upgrade = upgrade(project, "--to", V3, "-D" + NEW_PROPERTY + "=eu-west-1");
        expect(upgrade.exitCode() == 0, "with the value given the upgrade works", upgrade);
        expect("eu-west-1".equals(answers(project).getProperty(NEW_PROPERTY)), "the value is recorded", upgrade);
        expect(read(project.resolve(".env")).contains("CLICK_REGION=eu-west-1\n"), "and used", upgrade);
    }

    /** 6: a dirty tree is refused; N to N changes nothing; N to N+2 in one step. */
    private void dirtyNoOpAndTwoSteps() {
        Path project = teamProject("steps", V1);
        String before = head(project);
        Path readme = project.resolve("README.md");
        String readmeText = read(readme);
        write(readme, readmeText + "\nAn edit not committed yet.\n");
        Command dirty = upgrade(project, "--to", V2);
        expect(dirty.exitCode() == 2 && dirty.output().contains("the working tree is not clean")
                && dirty.output().contains("README.md"), "a dirty tree is refused, naming the path", dirty);
        expect(head(project).equals(before) && read(readme).endsWith("An edit not committed yet.\n"),
                "the uncommitted edit is left alone", dirty);
        write(readme, readmeText);
        write(project.resolve("notes.txt"), "untracked\n");
        Command untracked = upgrade(project, "--to", V2);
        expect(untracked.exitCode() == 2 && untracked.output().contains("?? notes.txt"), "an untracked file is dirt too",
                untracked);
        delete(project.resolve("notes.txt"));

        Command same = upgrade(project, "--to", V1);
        expect(same.exitCode() == 0 && same.output().contains("nothing to do"), "N to N is a no-op", same);
        expect(head(project).equals(before) && status(project).isEmpty(), "and changes nothing", same);

        Command twoSteps = upgrade(project, "--to", V3, "-D" + NEW_PROPERTY + "=us-east-1");
        expect(twoSteps.exitCode() == 0, "N to N+2 works", twoSteps);
        expect(twoSteps.output().contains("## " + V3) && twoSteps.output().contains("## " + V2)
                        && !twoSteps.output().contains("## " + V1), "it prints what both versions change, and only that",
                twoSteps);
        expect(git(project, "rev-parse", "HEAD~1").strip().equals(before) && status(project).isEmpty(),
                "in one commit, clean", twoSteps);
        expect(Files.exists(project.resolve(RENAMED_TO)) && read(project.resolve(".env")).contains("CLICK_REGION=us-east-1\n")
                        && answers(project).getProperty("archetypeVersion").equals(V3),
                "with the changes of both versions", twoSteps);
    }

    /** 7: generation is a function of the answers. */
    private void sameAnswersSameTree(Path current) {
        Map<String, String> values = new LinkedHashMap<>(Map.of("kafkaClusterId", CLUSTER_ID, "postgresPassword", PASSWORD,
                "sink", "postgres", "postgresPort", "55432"));
        Path first = generate(work.resolve("twin-1"), V1, "twin", values);
        Path second = generate(work.resolve("twin-2"), V1, "twin", values);
        Map<String, String> a = snapshot(first);
        Map<String, String> b = snapshot(second);
        expect(a.equals(b), "two generations of " + V1 + " with the same answers are byte-identical (contents and modes)"
                + differences(a, b), null);

        // The answers a generation records are complete: generated again from them alone, the project comes out the same.
        Properties recorded = answers(current);
        Map<String, String> given = new LinkedHashMap<>();
        recorded.stringPropertyNames().stream().filter(key -> !key.startsWith("archetype"))
                .forEach(key -> given.put(key, recorded.getProperty(key)));
        Path again = generate(work.resolve("regenerated"), recorded.getProperty("archetypeVersion"),
                recorded.getProperty("artifactId"), given);
        Map<String, String> original = snapshot(current);
        original.keySet().removeIf(path -> path.startsWith("target/") || path.contains("/target/"));
        Map<String, String> regenerated = snapshot(again);
        expect(original.equals(regenerated), "a project regenerated from its answers file alone is byte-identical"
                + differences(original, regenerated), null);
    }

    // --- helpers ---

    private Path teamProject(String name, String version) {
        Path project = generate(work.resolve(name), version, "clicks", Map.of());
        git(project, "init", "-q", "-b", "main");
        git(project, "config", "user.name", "A Team Member");
        git(project, "config", "user.email", "team@example.com");
        git(project, "add", "-A");
        git(project, "commit", "-q", "-m", "Generated from clicklog-archetype " + version);
        return project;
    }

    private Path generate(Path directory, String version, String artifactId, Map<String, String> values) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(maven);
        command.addAll(List.of("-B", "-q", "org.apache.maven.plugins:maven-archetype-plugin:" + archetypePluginVersion
                + ":generate", "-DarchetypeGroupId=io.github.clicklog", "-DarchetypeArtifactId=clicklog-archetype",
                "-DarchetypeVersion=" + version));
        Map<String, String> answers = new LinkedHashMap<>(Map.of("groupId", "com.example"));
        answers.putAll(values);
        answers.put("artifactId", artifactId);
        answers.forEach((key, value) -> command.add("-D" + key + "=" + value));
        Command.check(directory, Map.of(), command);
        return directory.resolve(artifactId);
    }


    private Command upgrade(Path project, String... arguments) {
        List<String> command = new ArrayList<>(List.of(java.toString(), ".mvn/clicklog-archetype/Upgrade.java"));
        command.addAll(Arrays.asList(arguments));
        Command result = Command.run(project, environment, command);
        outcome("  $ java .mvn/clicklog-archetype/Upgrade.java " + String.join(" ", arguments) + "   (in "
                + work.relativize(project) + ": exit " + result.exitCode() + ")");
        return result;
    }

    private void commit(Path project, String message) {
        git(project, "add", "-A");
        git(project, "commit", "-q", "-m", message);
    }

    private String git(Path project, String... arguments) {
        List<String> command = new ArrayList<>(List.of("git"));
        command.addAll(Arrays.asList(arguments));
        return Command.check(project, environment, command);
    }

    private String head(Path project) {
        return git(project, "rev-parse", "HEAD").strip();
    }

    private String status(Path project) {
        return git(project, "status", "--porcelain").strip();
    }

    private static Properties answers(Path project) {
        Properties answers = new Properties();
        try (Reader reader = Files.newBufferedReader(project.resolve(ANSWERS), StandardCharsets.ISO_8859_1)) {
            answers.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return answers;
    }

    private static Path javaFile(Path project, String module, String name) {
        try (Stream<Path> files = Files.walk(project.resolve(module).resolve("src/main/java"))) {
            return files.filter(file -> file.getFileName().toString().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " not found in " + module));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file outside .git: its path, its permissions and a hash of its bytes. */
    static Map<String, String> snapshot(Path root) {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.filter(Files::isRegularFile).toList()) {
                String relative = root.relativize(path).toString();
                if (relative.startsWith(".git/")) {
                    continue;
                }
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(path));
                files.put(relative, PosixFilePermissions.toString(Files.getPosixFilePermissions(path)) + " "
                        + HexFormat.of().formatHex(digest));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return files;
    }

    private static String differences(Map<String, String> a, Map<String, String> b) {
        List<String> differ = new ArrayList<>();
        a.forEach((path, hash) -> {
            if (!hash.equals(b.get(path))) {
                differ.add(path);
            }
        });
        b.keySet().stream().filter(path -> !a.containsKey(path)).forEach(differ::add);
        return differ.isEmpty() ? "" : "; differ: " + differ;
    }

    private static void delete(Path file) {
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void expect(boolean condition, String what, Command evidence) {
        if (!condition) {
            throw new AssertionError(what + (evidence == null ? "" : "\n--- output (exit " + evidence.exitCode() + ") ---\n"
                    + evidence.output()));
        }
    }

    private static long seconds(long start) {
        return Math.round((System.nanoTime() - start) / 1e9);
    }
}
