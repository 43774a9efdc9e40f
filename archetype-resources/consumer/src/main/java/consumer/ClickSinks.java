package ${package}.consumer;

#if( $sink == "postgres" )
import ${package}.consumer.postgres.PostgresClickSink;
import ${package}.consumer.postgres.PostgresSinkConfig;
#end
import java.io.IOException;
import java.time.Clock;
import java.util.Map;

/**
 * Which sink the consumer stores clicks in: {@code CLICK_SINK}, else the one chosen when the project was generated.
 */
final class ClickSinks {

    public static final String ENV_VARIABLE = "CLICK_SINK";
    /** {@code -Dsink} at generation. */
    static final String DEFAULT = "${sink}";

    private ClickSinks() {
    }

    /** Opens the sink, reporting its write times to the metrics (before the loop starts: the first batch counts). */
    static ClickSink open(ClickConsumerConfig config, Map<String, String> environment, ConsumerMetrics metrics)
            throws IOException {
        String value = environment.get(ENV_VARIABLE);
        String kind = value == null || value.isBlank() ? DEFAULT : value.trim();
        switch (kind) {
            case "jsonl" -> {
                JsonLinesClickSink sink = JsonLinesClickSink.open(config.dataDir(),
                        JsonLinesClickSink.retentionFrom(environment), Clock.systemUTC());
                sink.reportForceTimesTo(metrics::fsyncTook);
                return sink;
            }
#if( $sink == "postgres" )
            case "postgres" -> {
                PostgresClickSink sink = PostgresClickSink.open(PostgresSinkConfig.resolve(environment));
                sink.reportWriteTimesTo(metrics::sinkWriteTook);
                return sink;
            }
            default -> throw new IllegalArgumentException(ENV_VARIABLE + " must be jsonl (files in "
                    + ClickConsumerConfig.DATA_DIR_ENV_VARIABLE + ") or postgres (the clicks table), got '" + value + "'");
#else
            default -> throw new IllegalArgumentException(ENV_VARIABLE + " must be jsonl (files in "
                    + ClickConsumerConfig.DATA_DIR_ENV_VARIABLE + "; this project was generated with -Dsink=jsonl, the"
                    + " only sink it has), got '" + value + "'");
#end
        }
    }
}
