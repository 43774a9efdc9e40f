package ${package}.consumer;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsumerStatusTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);
    private static final long START = 1_000_000_000L;
    private static final long SECOND = 1_000_000_000L;

    private final ConsumerStatus status = new ConsumerStatus(START);

    @Test
    void a_running_loop_is_live_but_not_ready_before_the_coordinator_answers() {
        assertEquals(new ClickConsumerApp.Health(true, false, "no contact with the consumer group's coordinator yet"),
                status.health(true, null, START + SECOND));
    }

    @Test
    void a_loop_that_has_not_polled_for_a_minute_is_not_live() {
        assertEquals(new ClickConsumerApp.Health(false, false, "no poll for 61 s"),
                status.health(true, null, START + 61 * SECOND));
    }

    @Test
    void a_stopped_loop_says_why() {
        assertEquals(new ClickConsumerApp.Health(false, false, "stopped: java.io.IOException: disk full"),
                status.health(false, new IOException("disk full"), START));
    }

    @Test
    void lag_is_read_after_a_poll_and_kept_until_the_next_refresh() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
        consumer.assign(List.of(P0));
        consumer.updateEndOffsets(Map.of(P0, 5L));
        consumer.seek(P0, 2);

        status.polled(consumer, START);
        consumer.seek(P0, 5);
        status.polled(consumer, START + SECOND);

        assertEquals(Map.of(P0, 3L), status.lag(), "refreshed every 2 s");
        status.polled(consumer, START + 2 * SECOND);
        assertEquals(Map.of(P0, 0L), status.lag());
    }

    @Test
    void a_consumer_in_touch_with_its_coordinator_is_not_ready_until_the_click_topic_exists() {
        HeartbeatingConsumer consumer = new HeartbeatingConsumer();
        consumer.subscribe(List.of(Clicks.TOPIC));

        status.polled(consumer, START);
        ClickConsumerApp.Health missing = status.health(true, null, START + SECOND);
        assertFalse(missing.ready(), "ready although the topic does not exist");
        assertTrue(missing.problem().contains("does not exist") && missing.problem().contains("click-topics"),
                "the reason must say the topic is missing and what creates it: " + missing.problem());

        consumer.updatePartitions(Clicks.TOPIC, List.of(new PartitionInfo(Clicks.TOPIC, 0, null, null, null)));
        status.polled(consumer, START + 2 * SECOND);
        assertEquals(new ClickConsumerApp.Health(true, true, ""), status.health(true, null, START + 2 * SECOND));
    }

    /** A consumer whose last heartbeat was just now, as a real one in a group reports it. */
    private static final class HeartbeatingConsumer extends MockConsumer<byte[], byte[]> {
        HeartbeatingConsumer() {
            super("none");
        }

        @Override
        public synchronized Map<MetricName, ? extends Metric> metrics() {
            MetricName name = new MetricName("last-heartbeat-seconds-ago", "consumer-coordinator-metrics", "", Map.of());
            return Map.of(name, new Metric() {
                @Override
                public MetricName metricName() {
                    return name;
                }

                @Override
                public Object metricValue() {
                    return 1.0;
                }
            });
        }
    }
}
