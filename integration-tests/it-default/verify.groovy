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
