// Every port and the topic changed: the new values are everywhere, the defaults nowhere.
import static io.github.clicklog.archetype.GeneratedProjectChecks.*
import io.github.clicklog.archetype.ArchetypeProperties
import io.github.clicklog.archetype.ComposeProject
import java.nio.file.Files

def it = basedir.toPath()
def project = it.resolve('clicks')
def properties = ArchetypeProperties.load(it.resolve('archetype.properties'))

assert Files.isExecutable(project.resolve('mvnw'))
assert Files.isRegularFile(project.resolve('.gitignore'))
assert Files.isRegularFile(project.resolve('.dockerignore'))
assert Files.isDirectory(project.resolve('shared/src/main/java/org/acme/movies/clicks/shared'))
assert Files.isDirectory(project.resolve('doctor/src/main/java/org/acme/movies/clicks/doctor'))

def env = ComposeProject.readEnv(project)
assert env.KAFKA_OUTSIDE_PORT == '29092'
assert env.KAFKA_INSIDE_PORT == '29093'
assert env.KAFKA_CONTROLLER_PORT == '29094'
assert env.WEB_PORT == '28080'
assert env.CLICK_TOPIC == 'movie-clicks'

// every problem at once, not just the first
def problems = generatedAndBuilt(it, properties, false, selectedIts(it.resolve('build.properties')))
problems += survivingDefaults(project, properties)
assertNone("project generated with ${properties.asMap()}", problems)
