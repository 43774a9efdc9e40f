package ${package}.dev.bench;

import ${package}.web.WebProducerApp;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The benchmark's reference for step 2: the JDK's HTTP server with the web producer's worker count and socket
 * options, answering every POST with a fixed 202 and the same size of body, and doing nothing else (no JSON,
 * no Kafka). What it reaches per request is the most one click per request can reach with this server on
 * this machine; the web producer's own work is the gap between the two rows.
 *
 * <p>Not a server to use: it accepts anything. Environment: {@code WEB_PORT}.
 */
public final class BareJdkHttpServer {

    private static final byte[] ANSWER =
            "{\"eventId\":\"6a4f0d52-3c1e-4b7a-9d2f-0e5b1c7a1f39\"}".getBytes(StandardCharsets.UTF_8);

    private BareJdkHttpServer() {
    }

    public static void main(String[] args) throws IOException {
        // The web producer's own setting: answers leave without waiting for the client's delayed ACK.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.setProperty("sun.net.httpserver.maxIdleConnections", "1000");
        int port = Integer.parseInt(System.getenv("WEB_PORT"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 1024);
        AtomicInteger threads = new AtomicInteger();
        server.setExecutor(Executors.newFixedThreadPool(WebProducerApp.WORKER_THREADS, task -> {
            Thread thread = new Thread(task, "bare-http-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }));
        server.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                body.readAllBytes();
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            exchange.sendResponseHeaders(202, ANSWER.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ANSWER);
            }
        });
        server.start();
        System.out.println("bare JDK HTTP server on port " + port);
    }
}
