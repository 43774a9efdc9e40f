package io.github.clicklog.archetype;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks the ITs rely on must be able to fail: each is shown a tree with the fault it looks for. */
class GeneratedProjectChecksTest {
    @TempDir
    Path project;

    private void write(String file, String text) throws IOException {
        Files.createDirectories(project.resolve(file).getParent());
        Files.writeString(project.resolve(file), text);
    }

    @Test
    void leftovers_finds_unresolved_properties_and_build_tokens_but_not_compose_variables() throws IOException {
        write("web/src/main/resources/index.html", "<p>port ${webPort}</p>\n");
        write("pom.xml", "<kafka.version>@kafka.version@</kafka.version>\n");
        write("docker-compose.yml", "ports: [\"${WEB_BIND:-127.0.0.1}:${WEB_PORT}:${WEB_PORT}\"]\n");
        List<String> problems = GeneratedProjectChecks.leftovers(project);
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("${webPort}") || problems.get(1).contains("${webPort}"), problems::toString);
    }

    @Test
    void surviving_defaults_are_whole_numbers_and_words_only() throws IOException {
        ArchetypeProperties custom = ArchetypeProperties.of(Map.of("groupId", "g", "artifactId", "clicks",
                "webPort", "18000", "topic", "movie-clicks"));
        write("README.md", "open http://localhost:8000/\nport 18000, 80001, topic clicklogs, clicklog\n");
        List<String> problems = GeneratedProjectChecks.survivingDefaults(project, custom);
        assertEquals(List.of("README.md:1 still has the webPort default 8000: open http://localhost:8000/",
                "README.md:2 still has the topic default clicklog: port 18000, 80001, topic clicklogs, clicklog"), problems);
    }

    @Test
    void build_reports_require_a_passing_report_per_test_class_and_an_unskipped_smoke_test() throws IOException {
        write("web/src/test/java/com/example/web/WebTest.java", "class WebTest {}");
        write("dev/src/test/java/com/example/dev/ClickPipelineSmokeIT.java", "class ClickPipelineSmokeIT {}");
        write("consumer/src/test/java/com/example/consumer/SinkTest.java", "class SinkTest {}");
        write("web/target/surefire-reports/TEST-com.example.web.WebTest.xml",
                "<testsuite tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"0\"/>");
        write("dev/target/failsafe-reports/TEST-com.example.dev.ClickPipelineSmokeIT.xml",
                "<testsuite tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\"/>");
        List<String> problems = GeneratedProjectChecks.buildReports(project);
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("SinkTest has no test report"), problems::toString);
        assertTrue(problems.get(1).contains("ClickPipelineSmokeIT skipped 1"), problems::toString);
    }

    @Test
    void skipped_fault_tests_count_only_when_the_build_asked_for_them() throws IOException {
        write("dev/src/test/java/com/example/dev/ClickPipelineSmokeIT.java", "class ClickPipelineSmokeIT {}");
        write("loadtest/src/test/java/com/example/loadtest/fault/BrokerSigkillFaultIT.java",
                "class BrokerSigkillFaultIT {}");
        write("dev/target/failsafe-reports/TEST-com.example.dev.ClickPipelineSmokeIT.xml",
                "<testsuite tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\"/>");
        write("loadtest/target/failsafe-reports/TEST-com.example.loadtest.fault.BrokerSigkillFaultIT.xml",
                "<testsuite tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\"/>");
        assertEquals(List.of(), GeneratedProjectChecks.buildReports(project));
        assertEquals(List.of("com.example.loadtest.fault.BrokerSigkillFaultIT skipped 1 of 1 tests although the build ran with -Dfault=true"),
                GeneratedProjectChecks.buildReports(project, true));
    }

    @Test
    void an_it_that_selects_integration_tests_needs_reports_of_those_and_of_every_unit_test_only() throws IOException {
        write("dev/src/test/java/com/example/dev/ClickPipelineSmokeIT.java", "class ClickPipelineSmokeIT {}");
        write("dev/src/test/java/com/example/dev/SecuredKafkaIT.java", "class SecuredKafkaIT {}");
        write("web/src/test/java/com/example/web/WebTest.java", "class WebTest {}");
        write("dev/target/failsafe-reports/TEST-com.example.dev.ClickPipelineSmokeIT.xml",
                "<testsuite tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\"/>");
        Set<String> onlySmoke = Set.of("ClickPipelineSmokeIT");
        assertEquals(List.of("com.example.web.WebTest has no test report (web/target/surefire-reports/TEST-com.example.web.WebTest.xml"
                        + " or failsafe-reports): it did not run in `mvn verify`"),
                GeneratedProjectChecks.buildReports(project, false, onlySmoke));
        write("web/target/surefire-reports/TEST-com.example.web.WebTest.xml",
                "<testsuite tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"0\"/>");
        assertEquals(List.of(), GeneratedProjectChecks.buildReports(project, false, onlySmoke));
        // without the selection the IT left out is missing; an IT left out that ran anyway means the selection is wrong
        assertEquals(1, GeneratedProjectChecks.buildReports(project).size());
        write("dev/target/failsafe-reports/TEST-com.example.dev.SecuredKafkaIT.xml",
                "<testsuite tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"0\"/>");
        assertEquals(List.of("com.example.dev.SecuredKafkaIT ran although this IT selects only [ClickPipelineSmokeIT]"),
                GeneratedProjectChecks.buildReports(project, false, onlySmoke));
    }

    @Test
    void a_project_without_a_smoke_test_is_reported() throws IOException {
        write("web/src/test/java/com/example/web/WebTest.java", "class WebTest {}");
        write("web/target/surefire-reports/TEST-com.example.web.WebTest.xml",
                "<testsuite tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"0\"/>");
        assertEquals(List.of("the generated project has no smoke test (a *Smoke* test class) on a real broker"),
                GeneratedProjectChecks.buildReports(project));
    }

    @Test
    void a_failed_generated_build_is_reported_with_its_failing_tests() throws IOException {
        write("build.log", String.join("\n", "[INFO] BUILD SUCCESS", "[INFO] Tests run: 4, Failures: 0",
                "[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.2 s <<< FAILURE! -- in a.FuzzTest",
                "[ERROR]   FuzzTest.decodes:12 expected <1> but was <2>", "[INFO] BUILD FAILURE",
                "[ERROR] Failed to execute goal surefire:test (default-test) on project clicks-dev"));
        List<String> problems = GeneratedProjectChecks.buildLog(project.resolve("build.log"));
        assertEquals(4, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("1 of 2 builds passing"), problems::toString);
        write("build.log", "[INFO] BUILD SUCCESS\n[INFO] BUILD SUCCESS\n");
        assertEquals(List.of(), GeneratedProjectChecks.buildLog(project.resolve("build.log")));
    }

    @Test
    void a_project_without_tests_proves_nothing() {
        assertEquals(List.of("the generated project has no test classes, so its `mvn verify` proves nothing"),
                GeneratedProjectChecks.buildReports(project));
    }
}
