package io.github.clicklog.archetype.listeners;

/**
 * The four client checks of the listener contract, each from one side of the network, with what a correct
 * compose file gives.
 */
enum Check {
    HOST_OUTSIDE("host      -> OUTSIDE host:port", Result.WORKS),
    CONTAINER_INSIDE("container -> kafka:INSIDE", Result.WORKS),
    CONTAINER_LOCALHOST("container -> localhost:OUTSIDE", Result.BOOTSTRAP_FAILS),
    CONTAINER_KAFKA_OUTSIDE("container -> kafka:OUTSIDE", Result.FAILS_AFTER_BOOTSTRAP);

    /** What a real client saw: worked, could not bootstrap, or bootstrapped and then could not go on. */
    enum Result {
        WORKS, BOOTSTRAP_FAILS, FAILS_AFTER_BOOTSTRAP;

        static Result ofExitStatus(int status) {
            return switch (status) {
                case ClientProbe.WORKED -> WORKS;
                case ClientProbe.PRODUCE_FAILED, ClientProbe.CONSUME_FAILED -> FAILS_AFTER_BOOTSTRAP;
                default -> BOOTSTRAP_FAILS;
            };
        }
    }

    final String label;
    final Result whenCorrect;

    Check(String label, Result whenCorrect) {
        this.label = label;
        this.whenCorrect = whenCorrect;
    }
}
