package io.github.clicklog.archetype;

import static io.github.clicklog.archetype.GeneratedProjectChecks.assertNone;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The templates as the archetype jar carries them: coverage by fileSets, Velocity pitfalls, versions. */
class TemplateTest {
    private static final Pattern VELOCITY_LINE_COMMENT = Pattern.compile("(?<!\\\\)##");
    private static final Pattern DIRECTIVE_WITH_ARGUMENTS = Pattern.compile("^\\s*#(set|if|elseif|foreach)\\s*\\(");

    /**
     * Surefire and failsafe take every class named like a test ({@code *Tests}, {@code *IT}, ...) for one, and the
     * ITs' report check then wants a report from it: a helper with such a name fails the build after a long IT run.
     */
    private static final Pattern TEST_ANNOTATION = Pattern.compile("@(Test|ParameterizedTest|RepeatedTest|TestFactory)\\b");

    @Test
    void every_class_named_like_a_test_has_tests() throws IOException {
        List<String> problems = new ArrayList<>();
        for (String template : ArchetypeRenderer.templates()) {
            String name = Path.of(template).getFileName().toString();
            if (template.contains("src/test/java/")
                    && name.matches("(Test.*|.*Test|.*Tests|.*TestCase|IT.*|.*IT|.*ITCase)\\.java")
                    && !TEST_ANNOTATION.matcher(Files.readString(ArchetypeRenderer.TEMPLATES.resolve(template))).find()) {
                problems.add(template + " is named like a test but has no @Test: rename the helper"
                        + " (surefire and failsafe run it, and the ITs' report check then misses its report)");
            }
        }
        assertNone("helpers named like tests", problems);
    }

    @Test
    void every_template_is_generated_by_exactly_one_file_set() {
        List<String> problems = new ArrayList<>();
        for (String template : ArchetypeRenderer.templates()) {
            int count = ArchetypeRenderer.fileSetsOf(template).size();
            if (count == 0 && !template.equals("pom.xml")) {
                problems.add(template + " is in no fileSet of archetype-metadata.xml: the plugin silently leaves it out");
            } else if (count > 1) {
                problems.add(template + " is in " + count + " fileSets: the plugin warns \"Don't override file\" and"
                        + " which one wins is an accident; give the fileSets explicit includes");
            }
        }
        assertNone("templates and fileSets disagree", problems);
    }

    /**
     * In a filtered template Velocity drops everything from '##' to the end of the line (a Markdown heading,
     * a '## comment' in YAML or a Dockerfile): only inside #[[ ]]# does '##' survive.
     */
    @Test
    void no_filtered_template_loses_text_to_a_velocity_comment() throws IOException {
        List<String> problems = new ArrayList<>();
        for (String template : filteredTemplates()) {
            String text = Files.readString(ArchetypeRenderer.TEMPLATES.resolve(template));
            String outsideUnparsed = text.replaceAll("(?s)#\\[\\[.*?]]#", "");
            String[] lines = outsideUnparsed.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String code = lines[i];
                if (DIRECTIVE_WITH_ARGUMENTS.matcher(code).find()) {
                    // '##' in a string literal of a directive, as in #set( $h2 = '##' ), is text, not a comment
                    code = code.replaceAll("'[^']*'|\"[^\"]*\"", "");
                }
                if (VELOCITY_LINE_COMMENT.matcher(code).find()) {
                    problems.add(template + ": '" + lines[i].strip() + "' -- Velocity eats it from '##' on;"
                            + " wrap it in #[[ ]]# or write '#' via #set($h = '#')");
                }
            }
        }
        assertNone("text that Velocity would silently drop", problems);
    }

    @Test
    void every_filtered_template_renders_for_every_property_set() {
        List<String> problems = new ArrayList<>();
        ArchetypeRenderer.propertySets().forEach((name, properties) -> {
            for (String template : filteredTemplates()) {
                try {
                    ArchetypeRenderer.render(template, properties);
                } catch (RuntimeException e) {
                    problems.add(name + " / " + template + ": " + e.getMessage());
                }
            }
        });
        assertNone("templates Velocity cannot parse", problems);
    }

    /** Each version the generated parent pom declares is filled in, and equals the archetype pom's. */
    @Test
    void the_generated_parent_pom_has_a_value_for_every_version() throws Exception {
        Map<String, String> archetypeProperties = pomProperties(Path.of("pom.xml"));
        Path generatedPom = ArchetypeRenderer.TEMPLATES.resolve("pom.xml");
        Map<String, String> generated = pomProperties(generatedPom);
        List<String> problems = new ArrayList<>();
        String template = Files.readString(Path.of("archetype-resources/pom.xml"));
        Matcher token = Pattern.compile("<([A-Za-z0-9.-]+)>@([A-Za-z0-9.-]+)@</").matcher(template);
        int tokens = 0;
        while (token.find()) {
            tokens++;
            String property = token.group(1);
            String wanted = archetypeProperties.get(token.group(2));
            if (wanted == null) {
                problems.add("the template's <" + property + "> reads @" + token.group(2) + "@, which the archetype pom does not define");
            } else if (!wanted.equals(generated.get(property))) {
                problems.add("<" + property + "> is '" + generated.get(property) + "' in the packaged template, expected " + wanted);
            }
        }
        generated.forEach((property, value) -> {
            if (property.endsWith(".version") && !value.matches("\\d+(\\.\\d+)*([.-][A-Za-z0-9]+)*")) {
                problems.add("<" + property + "> is '" + value + "', not a version");
            }
        });
        assertNone("versions of the generated parent pom", problems);
        assertEquals(true, tokens > 0, "the generated parent pom should take its versions from the archetype pom");
    }

    /**
     * Every @name@ in a template the archetype build filters ends up as the archetype pom's value of that
     * property. Names Maven itself defines (maven.version is the running Maven) would silently win.
     */
    @Test
    void every_build_time_token_becomes_the_archetype_poms_value() throws Exception {
        Map<String, String> pom = pomProperties(Path.of("pom.xml"));
        Pattern token = Pattern.compile("@([A-Za-z][A-Za-z0-9.-]*)@");
        List<String> problems = new ArrayList<>();
        for (String template : ArchetypeRenderer.templates()) {
            String source = Files.readString(Path.of("archetype-resources", template));
            Matcher matcher = token.matcher(source);
            while (matcher.find()) {
                String name = matcher.group(1);
                String value = pom.get(name);
                String packaged = Files.readString(ArchetypeRenderer.TEMPLATES.resolve(template));
                if (value == null) {
                    problems.add(template + " reads @" + name + "@, which the archetype pom does not define");
                } else if (!packaged.contains(value) || packaged.contains("@" + name + "@")) {
                    problems.add(template + ": @" + name + "@ did not become " + value + " in the archetype jar");
                }
            }
        }
        assertNone("build-time filtering", problems);
    }

    /** A version written into a module pom would escape the archetype pom's one list of versions. */
    @Test
    void no_template_pom_hard_codes_a_version() throws IOException {
        List<String> problems = new ArrayList<>();
        Pattern version = Pattern.compile("<version>([^<]*)</version>");
        for (String template : ArchetypeRenderer.templates()) {
            if (!template.endsWith("pom.xml")) {
                continue;
            }
            Matcher matcher = version.matcher(Files.readString(Path.of("archetype-resources", template)));
            while (matcher.find()) {
                if (!matcher.group(1).strip().startsWith("${")) {
                    problems.add(template + " has <version>" + matcher.group(1) + "</version>: add a property to the"
                            + " archetype's pom.xml and use it as @name@ in the parent pom's <properties>");
                }
            }
        }
        assertNone("hard-coded versions", problems);
    }

    @Test
    void images_in_env_are_the_pinned_ones_of_the_archetype_pom() throws Exception {
        Map<String, String> pom = pomProperties(Path.of("pom.xml"));
        String env = Files.readString(ArchetypeRenderer.TEMPLATES.resolve(".env"));
        List<String> problems = new ArrayList<>();
        pom.forEach((property, image) -> {
            if (property.startsWith("image.") && !env.contains(image) && !property.equals("image.maven-build")
                    && !property.equals("image.java-runtime")) {
                problems.add(".env does not carry " + property + " = " + image);
            }
        });
        for (String image : List.of("image.maven-build", "image.java-runtime")) {
            if (!env.contains(pom.get(image))) {
                problems.add(".env does not carry " + image + " = " + pom.get(image));
            }
        }
        assertNone("images", problems);
    }

    private static List<String> filteredTemplates() {
        List<String> filtered = new ArrayList<>();
        for (String template : ArchetypeRenderer.templates()) {
            List<ArchetypeRenderer.FileSet> sets = ArchetypeRenderer.fileSetsOf(template);
            if (template.equals("pom.xml") || (!sets.isEmpty() && sets.get(0).filtered())) {
                filtered.add(template);
            }
        }
        return filtered;
    }

    static Map<String, String> pomProperties(Path pom) throws Exception {
        try (InputStream in = Files.newInputStream(pom)) {
            Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in).getDocumentElement();
            Map<String, String> result = new LinkedHashMap<>();
            NodeList children = project.getChildNodes();
            for (int i = 0; i < children.getLength(); i++) {
                if (children.item(i) instanceof Element element && element.getTagName().equals("properties")) {
                    NodeList properties = element.getChildNodes();
                    for (int j = 0; j < properties.getLength(); j++) {
                        Node property = properties.item(j);
                        if (property instanceof Element e) {
                            result.put(e.getTagName(), e.getTextContent().strip());
                        }
                    }
                }
            }
            return result;
        }
    }
}
