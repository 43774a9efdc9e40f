package ${package}.consumer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Uuid;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The id Kafka gave a topic when it was created. A topic deleted and created again under the same name gets a new
 * one, and its offsets start over at 0: a sink that recorded the old id refuses the new topic rather than take its
 * offsets for ones it has stored already ({@link ClickSink#checkTopicId}).
 */
@FunctionalInterface
interface TopicIds extends AutoCloseable {

    /** The topic's current id, or null when Kafka cannot say right now (it is asked again later). */
    Uuid idOf(String topic);

    @Override
    default void close() {
    }

    /** One id per topic for as long as this object lives: for tests on Kafka's MockConsumer, where no cluster is. */
    static TopicIds unchanging() {
        Map<String, Uuid> ids = new ConcurrentHashMap<>();
        return topic -> ids.computeIfAbsent(topic, t -> Uuid.randomUuid());
    }

    /** Asks the cluster with an admin client of the consumer's settings (created on first use). */
    static TopicIds fromCluster(Properties adminSettings) {
        return new TopicIds() {
            private static final Duration TIMEOUT = Duration.ofSeconds(10);
            private Admin admin;

            @Override
            public synchronized Uuid idOf(String topic) {
                try {
                    if (admin == null) {
                        admin = Admin.create(adminSettings);
                    }
                    TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                            .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic);
                    return description == null ? null : description.topicId();
                } catch (ExecutionException | TimeoutException | KafkaException e) {
                    return null;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }

            @Override
            public synchronized void close() {
                if (admin != null) {
                    admin.close(Duration.ofSeconds(5));
                }
            }
        };
    }
}
