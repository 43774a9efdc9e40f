package io.github.clicklog.archetype.listeners;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The jars of one Kafka version's broker (kafka_2.13 and what it needs, from Maven Central) and its topic
 * tool (kafka-tools' TopicCommand, for the click-topics service), as a classpath for a child JVM.
 *
 * <p>Resolved by Maven itself from a small pom written here, because the two broker modes need two versions
 * of the same artifact (4.x for KRaft, 3.9.x for ZooKeeper mode), which no single classpath can hold. The
 * broker brings slf4j-api 1.7 and no binding; slf4j-simple and a matching slf4j-api make it log, so a broker
 * that refuses to start says why.
 */
final class BrokerClasspath {

    private BrokerClasspath() {
    }

    static String resolve(String kafkaVersion, Versions versions, Path workDir) throws IOException, InterruptedException {
        Path dir = workDir.resolve("broker-" + kafkaVersion);
        Files.createDirectories(dir);
        Path classpath = dir.resolve("classpath.txt");
        if (Files.isRegularFile(classpath)) {
            return Files.readString(classpath).strip();
        }
        Files.writeString(dir.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>io.github.clicklog.it</groupId>
                  <artifactId>listener-verification-broker</artifactId>
                  <version>%1$s</version>
                  <packaging>pom</packaging>
                  <dependencies>
                    <dependency>
                      <groupId>org.apache.kafka</groupId>
                      <artifactId>kafka_2.13</artifactId>
                      <version>%1$s</version>
                    </dependency>
                    <dependency>
                      <!-- TopicCommand, the images' kafka-topics: the rest it needs comes with kafka_2.13 -->
                      <groupId>org.apache.kafka</groupId>
                      <artifactId>kafka-tools</artifactId>
                      <version>%1$s</version>
                      <exclusions>
                        <exclusion>
                          <groupId>*</groupId>
                          <artifactId>*</artifactId>
                        </exclusion>
                      </exclusions>
                    </dependency>
                    <dependency>
                      <groupId>org.slf4j</groupId>
                      <artifactId>slf4j-api</artifactId>
                      <version>%2$s</version>
                    </dependency>
                    <dependency>
                      <groupId>org.slf4j</groupId>
                      <artifactId>slf4j-simple</artifactId>
                      <version>%2$s</version>
                    </dependency>
                  </dependencies>
                </project>
                """.formatted(kafkaVersion, versions.slf4j()));
        String mavenHome = System.getProperty("maven.home");
        String mvn = mavenHome != null && Files.isExecutable(Path.of(mavenHome, "bin", "mvn"))
                ? Path.of(mavenHome, "bin", "mvn").toString() : "mvn";
        Path log = dir.resolve("resolve.log");
        Process process = new ProcessBuilder(List.of(mvn, "-B", "-q", "-f", dir.resolve("pom.xml").toString(),
                "org.apache.maven.plugins:maven-dependency-plugin:" + versions.dependencyPlugin() + ":build-classpath",
                "-Dmdep.outputFile=" + classpath))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0 || !Files.isRegularFile(classpath)) {
            process.destroyForcibly();
            throw new IOException("could not resolve the Kafka " + kafkaVersion + " broker's jars with Maven: "
                    + Files.readString(log));
        }
        return Files.readString(classpath).strip();
    }
}
