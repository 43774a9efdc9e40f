package io.github.clicklog.archetype.listeners;

/**
 * Versions the verification needs, from the archetype's pom (the invoker passes them to verify.groovy as
 * script variables), so that nothing here can drift from what the generated project uses.
 *
 * @param kafka              the KRaft image's Kafka version (apache/kafka)
 * @param kafkaZookeeperMode the Kafka version of ZooKeeper mode (the Confluent 7.9 images ship Kafka 3.9)
 * @param slf4j              the logging binding the broker runs with
 * @param dependencyPlugin   maven-dependency-plugin, which resolves the broker's jars
 */
public record Versions(String kafka, String kafkaZookeeperMode, String slf4j, String dependencyPlugin) {

    public Versions {
        require("kafka", kafka);
        require("kafkaZookeeperMode", kafkaZookeeperMode);
        require("slf4j", slf4j);
        require("dependencyPlugin", dependencyPlugin);
    }

    private static void require(String name, String value) {
        if (value == null || value.isBlank() || value.contains("${")) {
            throw new IllegalArgumentException("version '" + name + "' is not set (" + value
                    + "): pass it from the archetype's pom");
        }
    }
}
