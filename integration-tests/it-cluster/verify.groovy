// kafkaNodes=3: the embedded broker is a three-node cluster, and the cluster's fault tests ran on it.
import static io.github.clicklog.archetype.GeneratedProjectChecks.*
import io.github.clicklog.archetype.ArchetypeProperties
import io.github.clicklog.archetype.ComposeProject
import java.nio.file.Files
import javax.xml.parsers.DocumentBuilderFactory

def it = basedir.toPath()
def project = it.resolve('clicks')
def properties = ArchetypeProperties.load(it.resolve('archetype.properties'))

def broker = Files.readString(project.resolve('docker-compose.broker.yml'))
assert broker.contains('kafka-3:') : 'kafkaNodes=3 must keep the three-node compose file'
def env = ComposeProject.readEnv(project)
assert env.CLICK_TOPIC_REPLICAS == '3' && env.CLICK_TOPIC_PARTITIONS == '6'

// every problem at once, not just the first; -Dfault=cluster skips the single-node fault tests on purpose
def problems = generatedAndBuilt(it, properties, false, selectedIts(it.resolve('build.properties')))

// The cluster's fault tests (gated with matches = "true|cluster") must have run, none skipped.
def faultDir = project.resolve('loadtest/src/test/java/com/example/loadtest/fault')
def clusterFaultTests = Files.list(faultDir).withCloseable { files ->
    files.filter { it.fileName.toString().endsWith('FaultIT.java') && Files.readString(it).contains('"true|cluster"') }
            .collect { it.fileName.toString() - '.java' }.sort()
}
// The leader kill must be there; the consumers' scale-out test too, wherever the project has it.
['LeaderKillFaultIT', 'ConsumerScaleOutFaultIT'].each { name ->
    boolean present = Files.exists(faultDir.resolve(name + '.java'))
    if ((name == 'LeaderKillFaultIT' || present) && !clusterFaultTests.contains(name)) {
        problems << "${name} is ${present ? 'not selected by -Dfault=cluster (gate it with matches = \"true|cluster\")' : 'missing'}"
    }
}
def reports = project.resolve('loadtest/target/failsafe-reports')
clusterFaultTests.each { name ->
    def report = reports.resolve("TEST-com.example.loadtest.fault.${name}.xml")
    if (!Files.isRegularFile(report)) {
        problems << "${name} has no failsafe report: it did not run under -Dfault=cluster"
        return
    }
    def suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile()).documentElement
    if (suite.getAttribute('tests') == '0' || suite.getAttribute('skipped') != '0') {
        problems << "${name}: ${suite.getAttribute('tests')} tests, ${suite.getAttribute('skipped')} skipped;" +
                ' -Dfault=cluster must run it'
    }
    // the figures the issue asks for (503 window, counts), into this IT's log
    suite.textContent.readLines().findAll { it.startsWith(name + ':') }.each { println it }
}

// The smoke tests stood on three nodes, not one.
def brokerReport = project.resolve('dev/target/failsafe-reports/TEST-com.example.dev.LocalKafkaBrokerIT.xml')
if (Files.isRegularFile(brokerReport) && !Files.readString(brokerReport).contains('LocalKafkaBrokerIT: 3 nodes advertise')) {
    problems << 'LocalKafkaBrokerIT did not report a broker of 3 nodes'
}
assertNone("project generated with ${properties.asMap()}", problems)
