package io.github.clicklog.archetype.listeners;

/**
 * The four client checks of the listener contract, each from one side of the network, with what a correct
 * compose file gives.
 */
enum Check {
    HOST_OUTSIDE("host", "OUTSIDE", Result.WORKS),
    CONTAINER_INSIDE("container", "INSIDE", Result.WORKS),
    CONTAINER_LOCALHOST("container", "localhost:OUTSIDE", Result.BOOTSTRAP_FAILS),
    CONTAINER_KAFKA_OUTSIDE("container", "service name:OUTSIDE", Result.FAILS_AFTER_BOOTSTRAP);

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

    /** Where the client runs: on the host, or in the apps' container. */
    final String side;
    /** Which address it bootstraps from, in the contract's words. */
    final String via;
    final Result whenCorrect;

    Check(String side, String via, Result whenCorrect) {
        this.side = side;
        this.via = via;
        this.whenCorrect = whenCorrect;
    }

    String label() {
        return side + " -> " + via;
    }
}
