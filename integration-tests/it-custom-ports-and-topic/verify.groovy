// Every port and the topic changed: the new values are everywhere, the defaults nowhere. And sink=postgres.
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
assert env.WEB_MANAGEMENT_PORT == '28082'
assert env.CLICK_TOPIC == 'movie-clicks'

// sink=postgres: the database's settings, a password of this project's own, the port on loopback only
assert env.POSTGRES_IMAGE.startsWith('postgres:')
assert env.POSTGRES_DB == 'clicklog' && env.POSTGRES_USER == 'clicklog'
assert env.POSTGRES_PASSWORD ==~ /[A-Za-z0-9_-]{32}/ : "POSTGRES_PASSWORD=${env.POSTGRES_PASSWORD}: the post-generate script writes a fresh one"
assert env.POSTGRES_PORT == '25432'
assert env.CLICK_RETENTION_DAYS == '90'
def compose = new ComposeProject(project)
assert compose.service('docker-compose.yml', 'postgres').ports == ['127.0.0.1:25432:5432']
// the web producer publishes its click port only; the management port stays on the compose network
assert compose.service('docker-compose.yml', 'web').ports == ['127.0.0.1:28080:28080']
assert compose.service('docker-compose.yml', 'consumer').depends_on.postgres.condition == 'service_healthy'
assert Files.isDirectory(project.resolve('consumer/src/main/java/org/acme/movies/clicks/consumer/postgres'))
assert Files.isRegularFile(project.resolve('dev/src/main/java/org/acme/movies/clicks/dev/LocalPostgres.java'))
// the compose stack, when it ran, stored its click as a row of the table clicks
def stackReport = project.resolve('dev').resolve(COMPOSE_STACK_REPORT)
if (Files.isRegularFile(stackReport) && !Files.readString(stackReport).contains('SKIPPED')) {
    assert Files.readString(stackReport) =~ /PASS\s+click POSTed to \S+ stored once in the table clicks/
}

// every problem at once, not just the first (SinkChecks among them: the postgres service, the consumer's wiring)
def problems = generatedAndBuilt(it, properties, false, selectedIts(it.resolve('build.properties')))
problems += survivingDefaults(project, properties)
assertNone("project generated with ${properties.asMap()}", problems)
