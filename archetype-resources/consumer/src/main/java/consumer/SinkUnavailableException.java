package ${package}.consumer;

import java.io.IOException;

/**
 * The sink cannot store anything right now (its database is down or refuses the credentials, its disk is full),
 * and nothing of the batch it was given is stored. Not a reason to stop: the consumer pauses its partitions,
 * commits nothing, shows {@link #getMessage()} on {@code /readyz}, and tries again with a growing pause; once the
 * sink answers, each partition resumes from what the sink has stored.
 *
 * <p>The message is written for the operator: what is wrong and where to fix it, never a password.
 */
public class SinkUnavailableException extends IOException {

    public SinkUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
