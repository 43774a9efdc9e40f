// ZooKeeper mode: the seed's topology, ZooKeeper then Kafka, with the same INSIDE/OUTSIDE contract.
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

def broker = Files.readString(project.resolve('docker-compose.broker.yml'))
assert broker.contains('zookeeper:') && !broker.contains('CONTROLLER') : 'the ZooKeeper file, not the KRaft one'
def env = ComposeProject.readEnv(project)
assert env.ZOOKEEPER_PORT == '2181'
assert env.KAFKA_IMAGE.startsWith('confluentinc/cp-kafka:7.9.')
assert !env.containsKey('KAFKA_CLUSTER_ID') : 'KRaft settings have no place in ZooKeeper mode'

// every problem at once, not just the first
def problems = generatedAndBuilt(it, properties, false, selectedIts(it.resolve('build.properties')))
assertNone("project generated with ${properties.asMap()}", problems)
