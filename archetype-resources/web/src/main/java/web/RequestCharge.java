package ${package}.web;

import io.netty.buffer.ByteBuf;

/**
 * What one connection's unfinished request holds, as charged to the server's {@link RequestMemory} and to its
 * client's share ({@link ClientShares}); see RequestMemory for what counts. One per connection, used on its event
 * loop only.
 */
final class RequestCharge {

    private final RequestMemory memory;
    private ClientShares.Client client;
    private long charged;
    /** {@link RequestMemory#UNFINISHED_REQUEST_BYTES} is part of {@link #charged}. */
    private boolean receiveBufferCharged;
    /** The head as its bytes arrive: lines so far, whether the current line is empty, whether the head ended. */
    private long headLines;
    private boolean lineEmpty;
    private boolean headEnded;

    RequestCharge(RequestMemory memory) {
        this.memory = memory;
    }

    /** The client charged along with the server; null until the connection is admitted. */
    void client(ClientShares.Client admitted) {
        this.client = admitted;
    }

    void add(long bytes) {
        if (bytes != 0) {
            charged += bytes;
            memory.charge(bytes);
            if (client != null) {
                client.addRequestBytes(bytes);
            }
        }
    }

    /** Releases the whole charge: the request was read whole, refused, or the connection is gone. */
    void release() {
        add(-charged);
    }

    /**
     * A read that arrives while the head is incomplete: Netty keeps its bytes until their line is whole, then as
     * parsed headers, which cost more than their bytes (each field an object and two strings). So head bytes count
     * {@link RequestMemory#HEAD_BYTE_COST} times and each line {@link RequestMemory#HEADER_LINE_BYTES} more; the
     * bytes after the head's empty line (the start of the body) once.
     */
    void head(ByteBuf bytes) {
        int start = bytes.readerIndex();
        int end = bytes.writerIndex();
        int headEnd = end;
        long lines = 0;
        for (int i = start; i < end && !headEnded; i++) {
            byte b = bytes.getByte(i);
            if (b == '\n') {
                lines++;
                if (lineEmpty) {
                    headEnded = true;
                    headEnd = i + 1;
                }
                lineEmpty = true;
            } else if (b != '\r') {
                lineEmpty = false;
            }
        }
        headLines += lines;
        add((long) RequestMemory.HEAD_BYTE_COST * (headEnd - start) + RequestMemory.HEADER_LINE_BYTES * lines
                + (end - headEnd));
    }

    /** Lines of the head so far (the request line among them). */
    long headLines() {
        return headLines;
    }

    /** After a read that left no head decoded: empty lines only (allowed before a request line), so not its end. */
    void headGoesOn() {
        headEnded = false;
    }

    /** Once per unfinished request: the receive buffer Netty keeps for it. */
    void receiveBuffer() {
        if (!receiveBufferCharged) {
            receiveBufferCharged = true;
            add(RequestMemory.UNFINISHED_REQUEST_BYTES);
        }
    }

    /** A new request begins: what is charged now (pipelined requests already read) stays. */
    void nextRequest() {
        receiveBufferCharged = false;
        headLines = 0;
        headEnded = false;
        lineEmpty = false;
    }

    /** Over the server's bound, or over its client's share (a trusted proxy carries many clients: never). */
    boolean overBound(ClientShares clients, boolean clientIsProxy) {
        return memory.overBudget() || overShare(clients, clientIsProxy);
    }

    boolean overShare(ClientShares clients, boolean clientIsProxy) {
        return !clientIsProxy && client != null && clients.overRequestMemory(client);
    }

    long clientBytes() {
        return client == null ? 0 : client.requestBytes();
    }
}
