// The generated three-node cluster proven from both sides of the network, node by node, and every broken
// variant of the cluster caught, with the listener doctor's diagnosis from both sides (ListenerVerification).
import io.github.clicklog.archetype.ArchetypeProperties
import io.github.clicklog.archetype.listeners.ListenerVerification
import io.github.clicklog.archetype.listeners.Versions

def it = basedir.toPath()
def properties = ArchetypeProperties.load(it.resolve('archetype.properties'))
assert it.resolve('build.log').toFile().text.count('BUILD SUCCESS') == 2 : 'generation and the package build both pass'

ListenerVerification.verify(it.resolve(properties.artifactId()), properties.get('package'),
        new Versions(kafkaVersion, kafkaZookeeperModeVersion, slf4jVersion, dependencyPluginVersion),
        it.resolve('listener-verification'), true)
