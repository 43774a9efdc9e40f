package ${package}.loadtest;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection over a plain socket: what the load generator and the bad-input tests
 * speak.
 *
 * <p>A socket rather than {@code java.net.http.HttpClient}: on two shared cores the generator must cost
 * little CPU, and the bad-input corpus needs requests no well-behaved client sends (a body shorter than its
 * Content-Length, invalid UTF-8, thousands of headers, a client that trickles). Responses are read with
 * Content-Length or chunked framing, which is all the JDK's HttpServer sends.
 */
public final class HttpExchange implements AutoCloseable {

    /** An answer: status, body, and whether the server said it closes the connection. */
    public record Response(int status, byte[] body, boolean closes) {
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final InetSocketAddress address;
    private final String hostHeader;
    private final int timeoutMillis;
    private final InetAddress localAddress;
    private Socket socket;
    private OutputStream out;
    private InputStream in;

    public HttpExchange(URI base, int timeoutMillis) {
        this(base, timeoutMillis, null);
    }

    /**
     * @param localAddress the address to connect from (null: any): on Linux every address of 127.0.0.0/8 reaches
     *                     this machine, so a test can be many clients, each with an address of its own
     */
    public HttpExchange(URI base, int timeoutMillis, InetAddress localAddress) {
        this.address = new InetSocketAddress(base.getHost(), base.getPort());
        this.hostHeader = base.getHost() + ":" + base.getPort();
        this.timeoutMillis = timeoutMillis;
        this.localAddress = localAddress;
    }

    /** POSTs a JSON body; reconnects first if the last answer closed the connection. */
    public Response postJson(String path, byte[] body) throws IOException {
        return postJson(path, body, "");
    }

    /** The same with more header lines, each ending in CRLF ({@code "X-Forwarded-For: 203.0.113.9\r\n"}). */
    public Response postJson(String path, byte[] body, String headerLines) throws IOException {
        String head = "POST " + path + " HTTP/1.1\r\n"
                + "Host: " + hostHeader + "\r\n"
                + headerLines
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        return send(head.getBytes(StandardCharsets.US_ASCII), body);
    }

    public Response get(String path) throws IOException {
        String head = "GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n\r\n";
        return send(head.getBytes(StandardCharsets.US_ASCII), new byte[0]);
    }

    /** Sends bytes exactly as given (head and body), then reads one response. */
    public Response send(byte[] head, byte[] body) throws IOException {
        connectIfNeeded();
        try {
            out.write(head);
            out.write(body);
            out.flush();
            Response response = readResponse();
            if (response.closes()) {
                close();
            }
            return response;
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** The raw (buffered) stream, for tests that write slowly or half a request: flush after each write. */
    public OutputStream output() throws IOException {
        connectIfNeeded();
        return out;
    }

    /** Reads one response from the current connection (after writing through {@link #output()}). */
    public Response readResponse() throws IOException {
        String statusLine = readLine();
        if (statusLine == null) {
            throw new EOFException("the server closed the connection without an answer");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        long contentLength = -1;
        boolean chunked = false;
        boolean closes = false;
        for (String line = readLine(); line != null && !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> contentLength = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> closes = value.equalsIgnoreCase("close");
                default -> { }
            }
        }
        byte[] body;
        if (chunked) {
            body = readChunked();
        } else if (contentLength >= 0) {
            body = in.readNBytes((int) contentLength);
            if (body.length != contentLength) {
                throw new EOFException("body ended after " + body.length + " of " + contentLength + " bytes");
            }
        } else {
            body = new byte[0];
        }
        return new Response(status, body, closes);
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine();
            if (sizeLine == null) {
                throw new EOFException("chunked body ended early");
            }
            int semicolon = sizeLine.indexOf(';');
            int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                for (String trailer = readLine(); trailer != null && !trailer.isEmpty(); trailer = readLine()) {
                    // trailers carry nothing we need
                }
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length != size) {
                throw new EOFException("chunk ended early");
            }
            body.write(chunk);
            readLine();
        }
    }

    /** A CRLF-terminated line, or null at end of stream. */
    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            line.append((char) c);
        }
        return line.length() == 0 ? null : line.toString();
    }

    private void connectIfNeeded() throws IOException {
        if (socket == null) {
            Socket fresh = new Socket();
            if (localAddress != null) {
                fresh.bind(new InetSocketAddress(localAddress, 0));
            }
            fresh.setTcpNoDelay(true);
            fresh.setSoTimeout(timeoutMillis);
            fresh.connect(address, timeoutMillis);
            socket = fresh;
            out = new BufferedOutputStream(fresh.getOutputStream(), 64 * 1024);
            in = new BufferedInputStream(fresh.getInputStream(), 16 * 1024);
        }
    }

    public boolean isConnected() {
        return socket != null;
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing a broken socket: nothing more to do
            }
            socket = null;
        }
    }
}
