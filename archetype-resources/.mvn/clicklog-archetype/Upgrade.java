import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Takes this project to another version of the clicklog archetype, keeping the team's edits.
 *
 * <pre>
 *   java .mvn/clicklog-archetype/Upgrade.java --to 1.1.0 [--dry-run] [-Dname=value ...]
 * </pre>
 *
 * It generates the version this project was made from and the target version, both with the answers recorded
 * in answers.properties beside this file, into empty scratch directories; commits the two trees into this
 * repository (the target's with the other as its parent, on no branch) and cherry-picks that commit. So git makes
 * a real three-way merge of the template's change into the team's tree: edits the template did not touch stay,
 * renames, deletions and binary files are git's to handle, and a real conflict ends as git's conflict markers.
 *
 * Run by the JDK's source launcher: no build of this project is needed (a project whose build is broken can still
 * be upgraded), and it carries no dependency. It runs Maven through this project's wrapper (./mvnw), so the
 * archetype versions come from Maven's local repository or, when missing there, from the repositories Maven is
 * configured with (MAVEN_ARGS is passed on, as Maven reads it).
 */
public final class Upgrade {
    static final String ANSWERS = ".mvn/clicklog-archetype/answers.properties";
    /** The plugins the scratch generations run, pinned (filled in when the archetype was built). */
    static final String ARCHETYPE_PLUGIN = "org.apache.maven.plugins:maven-archetype-plugin:@archetype.version@";
    static final String DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:@plugin.dependency.version@";
    static final List<String> ARCHETYPE_KEYS = List.of("archetypeGroupId", "archetypeArtifactId", "archetypeVersion");
    /** Where each archetype version says what it changes, newest first, as "## version" sections. */
    static final String CHANGES = "META-INF/clicklog-archetype/CHANGES.md";

    private final Path project;
    private final Path gitDir;
    private final String prefix;
    private final Path scratch;

    private Upgrade(Path project, Path gitDir, String prefix, Path scratch) {
        this.project = project;
        this.gitDir = gitDir;
        this.prefix = prefix;
        this.scratch = scratch;
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (Refused refused) {
            System.err.println();
            System.err.println("upgrade refused: " + refused.getMessage());
            System.err.println("Nothing was changed.");
            System.exit(2);
        }
    }

    static int run(String[] args) {
        String target = null;
        boolean dryRun = false;
        boolean keepScratch = false;
        Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--to") && i + 1 < args.length) {
                target = args[++i];
            } else if (arg.startsWith("--to=")) {
                target = arg.substring("--to=".length());
            } else if (arg.equals("--dry-run")) {
                dryRun = true;
            } else if (arg.equals("--keep-scratch")) {
                keepScratch = true;
            } else if (arg.startsWith("-D") && arg.indexOf('=') > 2) {
                given.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else if (arg.equals("--help") || arg.equals("-h")) {
                System.out.println(usage());
                return 0;
            } else {
                throw new Refused("'" + arg + "' is not an option.\n" + usage());
            }
        }
        if (target == null || target.isBlank()) {
            throw new Refused("say which archetype version to upgrade to.\n" + usage());
        }
        for (String key : ARCHETYPE_KEYS) {
            if (given.containsKey(key)) {
                throw new Refused("-D" + key + " cannot be given: the archetype's version is --to, its coordinates are"
                        + " those in " + ANSWERS);
            }
        }

        Path project = Path.of("").toAbsolutePath();
        Path answersFile = project.resolve(ANSWERS);
        if (!Files.isRegularFile(answersFile)) {
            throw new Refused("no " + ANSWERS + " here. Run this from the root of a project generated by the clicklog"
                    + " archetype (the answers file is written at generation; a project made before it was recorded"
                    + " needs one written by hand: see the README, \"Upgrading this project\").");
        }
        Map<String, String> answers = readAnswers(answersFile);
        for (String key : ARCHETYPE_KEYS) {
            if (answers.getOrDefault(key, "").isBlank()) {
                throw new Refused(ANSWERS + " has no " + key + "; it records the archetype this project came from.");
            }
        }
        String from = answers.get("archetypeVersion");
        String coordinates = answers.get("archetypeGroupId") + ":" + answers.get("archetypeArtifactId");
        boolean changesAnswers = given.entrySet().stream()
                .anyMatch(entry -> !entry.getValue().equals(answers.get(entry.getKey())));
        if (from.equals(target) && !changesAnswers) {
            System.out.println("This project is at " + coordinates + ":" + from + " already: nothing to do.");
            return 0;
        }

        Git git = new Git(project, null);
        Path gitDir = checkRepository(git);
        String prefix = git.output("rev-parse", "--show-prefix").strip();
        Path scratch;
        try {
            scratch = Files.createTempDirectory("clicklog-upgrade-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return new Upgrade(project, gitDir, prefix, scratch).upgrade(answers, given, target, dryRun);
        } finally {
            if (keepScratch) {
                System.out.println("Scratch directories kept in " + scratch);
            } else {
                deleteTree(scratch);
            }
        }
    }

    private int upgrade(Map<String, String> answers, Map<String, String> given, String target, boolean dryRun) {
        String from = answers.get("archetypeVersion");
        String groupId = answers.get("archetypeGroupId");
        String artifactId = answers.get("archetypeArtifactId");
        System.out.println("Upgrading " + project.getFileName() + " from " + groupId + ":" + artifactId + ":" + from
                + " to " + target + (dryRun ? " (dry run: nothing will be written)" : ""));

        // 1. The target's descriptor, before anything else: every property it requires must have a value.
        Maven maven = new Maven(project, scratch);
        Path jar = maven.fetchArchetype(groupId, artifactId, target);
        Map<String, String> values = new LinkedHashMap<>(answers);
        ARCHETYPE_KEYS.forEach(values::remove);
        values.putAll(given);
        List<String> missing = new ArrayList<>();
        String notes;
        try (ZipFile archive = new ZipFile(jar.toFile())) {
            requiredProperties(archive).forEach((name, defaultValue) -> {
                if (!values.containsKey(name) && defaultValue == null) {
                    missing.add(name);
                }
            });
            notes = releaseNotes(archive, from, target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!missing.isEmpty()) {
            StringBuilder message = new StringBuilder(artifactId + " " + target + " requires properties this project has"
                    + " no value for (not in " + ANSWERS + ", and without a default):");
            missing.forEach(name -> message.append("\n  ").append(name).append(": give it with -D").append(name)
                    .append("=<value>"));
            message.append("\nfor example: java .mvn/clicklog-archetype/Upgrade.java --to ").append(target);
            missing.forEach(name -> message.append(" -D").append(name).append("=<value>"));
            message.append("\nThe value is then recorded in ").append(ANSWERS).append(" with the upgrade.");
            throw new Refused(message.toString());
        }
        if (!notes.isEmpty()) {
            System.out.println();
            System.out.println("What " + target + " changes (from its " + CHANGES.substring(CHANGES.lastIndexOf('/') + 1)
                    + "):");
            System.out.println(notes.strip());
            System.out.println();
        }

        // 2. Both versions, generated with the same answers (the new values only in the target's).
        Map<String, String> recorded = new LinkedHashMap<>(answers);
        ARCHETYPE_KEYS.forEach(recorded::remove);
        // At once: each is mostly a JVM starting up, and the two are independent.
        Maven.Running generatingBefore = maven.generate("before", groupId, artifactId, from, recorded,
                answers.get("artifactId"));
        Maven.Running generatingAfter = maven.generate("after", groupId, artifactId, target, values,
                values.getOrDefault("artifactId", answers.get("artifactId")));
        Path before = generatingBefore.await();
        Path after = generatingAfter.await();

        // 3. The template's change as a commit of this repository: the target's tree with the other as its parent.
        String baseTree = tree("before", before);
        String targetTree = tree("after", after);
        if (baseTree.equals(targetTree)) {
            System.out.println(artifactId + " " + from + " and " + target + " generate the same tree with these answers:"
                    + " nothing to do.");
            return 0;
        }
        Git git = new Git(project, null);
        String base = git.output("commit-tree", baseTree, "-m",
                artifactId + " " + from + ", generated with this project's answers").strip();
        String message = "Upgrade to " + artifactId + " " + target + " (from " + from + ")\n\n"
                + "The change between the two versions as generated with this project's answers ("
                + ANSWERS + "), applied by .mvn/clicklog-archetype/Upgrade.java."
                // no line may start with #: git commit (cherry-pick --continue) would strip it as a comment
                + (notes.isEmpty() ? "" : "\n\n" + notes.strip().replaceAll("(?m)^#+ ", ""));
        String change = git.output("commit-tree", targetTree, "-p", base, "-m", message).strip();
        List<String> changed = git.lines("diff", "--name-status", "-M", base, change);

        // 4. The three-way merge: cherry-pick that commit (in a throw-away worktree for a dry run).
        return dryRun ? dryRun(change, changed) : apply(change, changed, target);
    }

    private int apply(String change, List<String> changed, String target) {
        Git git = new Git(project, null);
        String head = git.output("rev-parse", "HEAD").strip();
        Git.Result result = git.run("cherry-pick", change);
        if (result.exitCode() == 0) {
            System.out.println("The template's change (" + changed.size() + " paths) is merged:");
            changed.forEach(line -> System.out.println("  " + line));
            System.out.println();
            System.out.println(git.output("log", "-1", "--format=%h %s").strip());
            System.out.println("Review it with: git show --stat HEAD");
            System.out.println("Undo it with:   git reset --hard " + head.substring(0, 12)
                    + "   (or git revert HEAD once it is shared)");
            return 0;
        }
        List<String> conflicts = conflicts(git);
        if (conflicts.isEmpty()) {
            System.err.print(result.output());
            throw new IllegalStateException("git cherry-pick failed without a conflict (exit " + result.exitCode()
                    + "): see git's message above; git cherry-pick --abort returns to " + head);
        }
        System.out.println("The template's change is merged except where it meets the team's own edits. Conflicts in "
                + conflicts.size() + " path" + (conflicts.size() == 1 ? "" : "s") + ":");
        conflicts.forEach(line -> System.out.println("  " + line));
        System.out.println();
        System.out.println("To finish: resolve each path (edit out git's <<<<<<< ======= >>>>>>> markers; for a deleted"
                + " file, git rm it to keep it deleted or git add it to keep the template's version), then");
        System.out.println("  git add <path>...    (or git rm <path>...)");
        System.out.println("  git cherry-pick --continue");
        System.out.println("To abort and return to " + head.substring(0, 12) + " exactly as it was:");
        System.out.println("  git cherry-pick --abort");
        System.out.println(target + " is recorded in " + ANSWERS + " only when the cherry-pick is finished.");
        return 1;
    }

    private int dryRun(String change, List<String> changed) {
        Path worktree = scratch.resolve("dry-run");
        Git git = new Git(project, null);
        git.output("worktree", "add", "--detach", "--quiet", worktree.toString(), "HEAD");
        try {
            Git inWorktree = new Git(worktree.resolve(prefix), null);
            Git.Result result = inWorktree.run("cherry-pick", "--no-commit", change);
            List<String> conflicts = conflicts(inWorktree);
            System.out.println("The template's change touches " + changed.size() + " paths:");
            changed.forEach(line -> System.out.println("  " + line));
            System.out.println();
            if (result.exitCode() == 0) {
                System.out.println("Dry run: it merges without a conflict. Nothing was written; run again without"
                        + " --dry-run to apply it.");
                return 0;
            }
            if (conflicts.isEmpty()) {
                System.err.print(result.output());
                throw new IllegalStateException("git cherry-pick failed without a conflict (exit " + result.exitCode()
                        + "): see git's message above");
            }
            System.out.println("Dry run: it would stop with conflicts in " + conflicts.size() + " path"
                    + (conflicts.size() == 1 ? "" : "s") + ":");
            conflicts.forEach(line -> System.out.println("  " + line));
            System.out.println("Nothing was written. Without --dry-run the merge stops there, with git's markers, for you"
                    + " to resolve.");
            return 1;
        } finally {
            git.run("worktree", "remove", "--force", worktree.toString());
            git.run("worktree", "prune");
        }
    }

    /** The unmerged paths, each with what git's status code means. */
    private static List<String> conflicts(Git git) {
        List<String> conflicts = new ArrayList<>();
        for (String line : git.lines("status", "--porcelain=v1", "--untracked-files=no")) {
            String code = line.substring(0, 2);
            String meaning = switch (code) {
                case "UU" -> "changed by both";
                case "AA" -> "added by both";
                case "DU" -> "deleted by the team, changed by the template (delete/modify)";
                case "UD" -> "changed by the team, deleted by the template (modify/delete)";
                case "AU" -> "added by the team, changed by the template";
                case "UA" -> "added by the template, changed by the team";
                case "DD" -> "deleted by both";
                default -> null;
            };
            if (meaning != null) {
                conflicts.add(line.substring(3) + "  (" + meaning + ")");
            }
        }
        return conflicts;
    }

    /**
     * A generated tree as a git tree object of this repository, through an index of its own: this repository's
     * HEAD with the project's folder (all of it, when the project is the repository) replaced by the generated one.
     */
    private String tree(String name, Path generated) {
        Path root = scratch.resolve(name + "-root");
        Path index = scratch.resolve(name + ".index");
        Git git = new Git(root, index);
        try {
            Path place = root.resolve(prefix);
            Files.createDirectories(place.getParent());
            Files.move(generated, place);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!prefix.isEmpty()) {
            git.output("--git-dir=" + gitDir, "read-tree", "HEAD");
            git.output("--git-dir=" + gitDir, "rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", prefix);
        }
        git.output("--git-dir=" + gitDir, "--work-tree=" + root, "add", "--all", "--", prefix.isEmpty() ? "." : prefix);
        return git.output("--git-dir=" + gitDir, "write-tree").strip();
    }

    /** A repository with a commit, a clean tree, no operation under way and a committer: else refused. */
    private static Path checkRepository(Git git) {
        Git.Result inside = git.run("rev-parse", "--absolute-git-dir");
        if (inside.exitCode() != 0) {
            throw new Refused("this project is not in a git repository. The upgrade is a git merge: put the project"
                    + " under git first (git init && git add -A && git commit -m \"Generated project\").");
        }
        if (git.run("rev-parse", "--verify", "--quiet", "HEAD").exitCode() != 0) {
            throw new Refused("the repository has no commit yet: commit the project first (git add -A && git commit).");
        }
        for (String operation : List.of("CHERRY_PICK_HEAD", "MERGE_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply")) {
            Path marker = Path.of(git.output("rev-parse", "--git-path", operation).strip());
            if (Files.exists(git.directory().resolve(marker))) {
                throw new Refused("a git operation is under way (" + operation + "): finish it or abort it first (for an"
                        + " earlier upgrade: git cherry-pick --continue or git cherry-pick --abort).");
            }
        }
        List<String> dirty = git.lines("status", "--porcelain=v1");
        if (!dirty.isEmpty()) {
            StringBuilder message = new StringBuilder("the working tree is not clean (" + dirty.size() + " path"
                    + (dirty.size() == 1 ? "" : "s") + "):");
            dirty.stream().limit(20).forEach(line -> message.append("\n  ").append(line));
            if (dirty.size() > 20) {
                message.append("\n  ...");
            }
            message.append("\nCommit or stash them first (git stash --include-untracked), so that the upgrade is one"
                    + " commit of its own that can be reviewed and undone.");
            throw new Refused(message.toString());
        }
        if (git.run("var", "GIT_COMMITTER_IDENT").exitCode() != 0) {
            throw new Refused("git does not know who commits here: set git config user.name and user.email first.");
        }
        return Path.of(inside.output().strip());
    }

    /** The required properties of an archetype jar's descriptor, each with its default (null: none). */
    static Map<String, String> requiredProperties(ZipFile archive) throws IOException {
        ZipEntry entry = archive.getEntry("META-INF/maven/archetype-metadata.xml");
        if (entry == null) {
            throw new IllegalStateException(archive.getName() + " has no META-INF/maven/archetype-metadata.xml: is it"
                    + " an archetype?");
        }
        Map<String, String> required = new TreeMap<>();
        try (InputStream in = archive.getInputStream(entry)) {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            Document descriptor = factory.newDocumentBuilder().parse(in);
            NodeList properties = descriptor.getElementsByTagNameNS("*", "requiredProperty");
            for (int i = 0; i < properties.getLength(); i++) {
                Element property = (Element) properties.item(i);
                NodeList defaultValue = property.getElementsByTagNameNS("*", "defaultValue");
                required.put(property.getAttribute("key"),
                        defaultValue.getLength() == 0 ? null : defaultValue.item(0).getTextContent());
            }
        } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
            throw new IllegalStateException("cannot read the descriptor of " + archive.getName() + ": " + e.getMessage(), e);
        }
        return required;
    }

    /**
     * The sections of the target's CHANGES.md (newest first) from the target's own down to the current version's,
     * excluded. Without a section for the current version, only the target's: the file's order is all there is to
     * go by, and a version missing from it cannot be placed.
     */
    static String releaseNotes(ZipFile archive, String from, String target) throws IOException {
        ZipEntry entry = archive.getEntry(CHANGES);
        if (entry == null) {
            return "";
        }
        String text;
        try (InputStream in = archive.getInputStream(entry)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> versions = new ArrayList<>();
        List<StringBuilder> sections = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (line.startsWith("## ")) {
                versions.add(line.substring(3).strip().split("\\s+", 2)[0]);
                sections.add(new StringBuilder());
            }
            if (!sections.isEmpty()) {
                sections.get(sections.size() - 1).append(line).append('\n');
            }
        }
        int first = versions.indexOf(target);
        if (first < 0) {
            return "";
        }
        int end = versions.indexOf(from);
        StringBuilder notes = new StringBuilder();
        if (end <= first) {
            notes.append(sections.get(first).toString().strip()).append("\n\n(CHANGES.md has no section for ").append(from)
                    .append(": only ").append(target).append("'s is shown.)\n");
        } else {
            sections.subList(first, end).forEach(notes::append);
        }
        return notes.toString();
    }

    static Map<String, String> readAnswers(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> answers = new TreeMap<>();
        properties.stringPropertyNames().forEach(name -> answers.put(name, properties.getProperty(name)));
        return answers;
    }

    static String usage() {
        return """
                usage: java .mvn/clicklog-archetype/Upgrade.java --to <version> [--dry-run] [-D<name>=<value>...]
                  --to <version>   the archetype version to take this project to
                  --dry-run        say what the merge would change and where it would conflict; write nothing
                  -D<name>=<value> a value for a property the new version requires (recorded with the upgrade),
                                   or a new value for a recorded one (its change is merged like the template's)
                  --keep-scratch   keep the two generated trees (for a look at what the template changed)""";
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A refusal before anything was changed: said plainly, exit code 2. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    /** Maven through this project's wrapper, run in scratch directories that hold no pom. */
    static final class Maven {
        private final Path wrapper;
        private final Path scratch;

        Maven(Path project, Path scratch) {
            boolean windows = System.getProperty("os.name").toLowerCase().startsWith("windows");
            this.wrapper = project.resolve(windows ? "mvnw.cmd" : "mvnw");
            this.scratch = scratch;
            if (!Files.isRegularFile(wrapper)) {
                throw new Refused(project.relativize(wrapper) + " is missing: the upgrade runs Maven through the project's"
                        + " wrapper.");
            }
        }

        Path fetchArchetype(String groupId, String artifactId, String version) {
            Path into = scratch.resolve("archetype");
            Running fetch = start("fetch " + artifactId + " " + version, scratch.resolve("fetch"), List.of(
                    DEPENDENCY_PLUGIN + ":copy", "-Dartifact=" + groupId + ":" + artifactId + ":" + version + ":jar",
                    "-DoutputDirectory=" + into, "-Dmdep.stripVersion=true"), into.resolve(artifactId + ".jar"),
                    "\nIs the version right, and can Maven reach the repository that has it?");
            return fetch.await();
        }

        /** Starts generating one version with the given answers into an empty scratch directory. */
        Running generate(String name, String groupId, String artifactId, String version, Map<String, String> values,
                         String projectArtifactId) {
            Path directory = scratch.resolve(name);
            List<String> arguments = new ArrayList<>(List.of(ARCHETYPE_PLUGIN + ":generate", "-DinteractiveMode=false",
                    "-DarchetypeGroupId=" + groupId, "-DarchetypeArtifactId=" + artifactId,
                    "-DarchetypeVersion=" + version));
            values.forEach((key, value) -> arguments.add("-D" + key + "=" + value));
            return start("generate " + artifactId + " " + version, directory, arguments,
                    directory.resolve(projectArtifactId), "");
        }

        private Running start(String what, Path directory, List<String> arguments, Path result, String hint) {
            List<String> command = new ArrayList<>(List.of(wrapper.toString(), "-B", "-q"));
            command.addAll(arguments);
            Path log = scratch.resolve(directory.getFileName() + ".log");
            System.out.println("  " + what + " (Maven, in " + directory + ")");
            try {
                Files.createDirectories(directory);
                Process process = new ProcessBuilder(command).directory(directory.toFile())
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                return new Running(what, process, log, result, hint);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** A Maven run under way, and the file or directory it is to leave. */
        record Running(String what, Process process, Path log, Path result, String hint) {
            Path await() {
                try {
                    int exit = process.waitFor();
                    if (exit != 0) {
                        List<String> lines = Files.readAllLines(log);
                        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
                        throw new Refused(what + " failed (Maven exit " + exit + "). Its output ends with:\n" + tail + hint);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while Maven ran: " + what, e);
                }
                if (!Files.exists(result)) {
                    throw new IllegalStateException(what + ": Maven reported success but left no " + result);
                }
                return result;
            }
        }
    }

    /** git, run in a directory, optionally with an index of its own. */
    static final class Git {
        record Result(int exitCode, String output) {
        }

        private final Path directory;
        private final Path index;

        Git(Path directory, Path index) {
            this.directory = directory;
            this.index = index;
        }

        Path directory() {
            return directory;
        }

        Result run(String... arguments) {
            List<String> command = new ArrayList<>();
            command.add("git");
            command.addAll(List.of(arguments));
            try {
                Files.createDirectories(directory);
                ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
                if (index != null) {
                    builder.environment().put("GIT_INDEX_FILE", index.toString());
                }
                Process process = builder.start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return new Result(process.waitFor(), output);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run git (is it installed?): " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while git ran", e);
            }
        }

        String output(String... arguments) {
            Result result = run(arguments);
            if (result.exitCode() != 0) {
                throw new IllegalStateException("git " + String.join(" ", arguments) + " failed (exit " + result.exitCode()
                        + "):\n" + result.output());
            }
            return result.output();
        }

        List<String> lines(String... arguments) {
            return output(arguments).lines().filter(line -> !line.isEmpty()).toList();
        }
    }
}
