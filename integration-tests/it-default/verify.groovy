// Generated with defaults (KRaft), then built with the generated project's own `mvn verify -Dfault=true`.
import static io.github.clicklog.archetype.GeneratedProjectChecks.*
import io.github.clicklog.archetype.ArchetypeProperties
import java.nio.file.Files
import java.util.concurrent.TimeUnit

def it = basedir.toPath()
def project = it.resolve('clicks')
def properties = ArchetypeProperties.load(it.resolve('archetype.properties'))

assert Files.isDirectory(project)
assert Files.isExecutable(project.resolve('mvnw')) : 'mvnw must be executable right after generation'
assert Files.isRegularFile(project.resolve('.gitignore'))
assert Files.isRegularFile(project.resolve('.dockerignore'))

// every problem at once, not just the first
def problems = generatedAndBuilt(it, properties, true)
assertNone("project generated with ${properties.asMap()}", problems)

// The wrapper a user runs first: its properties must name a Maven that exists.
def wrapper = new ProcessBuilder('./mvnw', '--version').directory(project.toFile()).redirectErrorStream(true).start()
def output = new StringBuilder()
wrapper.consumeProcessOutputStream(output)
assert wrapper.waitFor(180, TimeUnit.SECONDS) : "./mvnw --version did not finish in 180 s: ${output}"
assert wrapper.exitValue() == 0 : "./mvnw --version failed: ${output}"
def wanted = (Files.readString(project.resolve('.mvn/wrapper/maven-wrapper.properties')) =~ /apache-maven\/([^\/]+)\//)[0][1]
assert output.contains("Apache Maven ${wanted}") : "./mvnw should run the Maven its properties name (${wanted}): ${output}"

// The compose stack's broken variants (unhealthy broker, INSIDE advertised as localhost, published port differing
// from the advertised one), each through the project's own ComposeStackIT on the images it just built.
import io.github.clicklog.archetype.stack.ComposeStackVariants
def stackReport = project.resolve('dev').resolve(COMPOSE_STACK_REPORT)
if (Files.isRegularFile(stackReport) && Files.readString(stackReport).contains('PASS    docker compose down -v')) {
    def variantProblems = ComposeStackVariants.verify(project, it.resolve('compose-variants'),
            System.getProperty('maven.home'), localRepositoryPath.toString(), it.parent.resolve('interpolated-settings.xml'))
    assertNone('compose stack variants', variantProblems)
} else {
    // the good stack did not run (no engine outside CI: reported above as SKIPPED), so neither can its variants
    println 'SKIPPED: the compose stack variants need the stack itself to have run (see ComposeStackIT above)'
}
