package ${package}.shared;

/** A click that cannot be accepted; the message names the field and what is wrong with it. */
public class InvalidClickException extends Exception {

    public InvalidClickException(String message) {
        super(message);
    }

    public InvalidClickException(String message, Throwable cause) {
        super(message, cause);
    }
}
