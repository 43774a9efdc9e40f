// Every port and the topic changed: the new values are everywhere, the defaults nowhere.
import static io.github.clicklog.archetype.GeneratedProjectChecks.*
import io.github.clicklog.archetype.ArchetypeProperties
import io.github.clicklog.archetype.DotEnv
import java.nio.file.Files

def it = basedir.toPath()
def project = it.resolve('clicks')
def properties = ArchetypeProperties.load(it.resolve('archetype.properties'))

assert Files.isExecutable(project.resolve('mvnw'))
assert Files.isRegularFile(project.resolve('.gitignore'))
assert Files.isRegularFile(project.resolve('.dockerignore'))
assert it.resolve('build.log').text.count('BUILD SUCCESS') == 2 : 'generation and the generated build both pass'
assert Files.isDirectory(project.resolve('shared/src/main/java/org/acme/movies/clicks/shared'))

def env = DotEnv.read(project.resolve('.env'))
assert env.KAFKA_OUTSIDE_PORT == '29092'
assert env.KAFKA_INSIDE_PORT == '29093'
assert env.KAFKA_CONTROLLER_PORT == '29094'
assert env.WEB_PORT == '28080'
assert env.CLICK_TOPIC == 'movie-clicks'

assertNone('defaults that survived', survivingDefaults(project, properties))
assertNone('layout', layout(project))
assertNone('unresolved templates', leftovers(project))
assertNone('generated values (.env, README)', carriesValues(project, properties))
assertNone('listener lines', contractLines(project, properties))
assertNone('compose contract and schema', compose(project, properties))
assertNone('test reports of the generated build', buildReports(project))
