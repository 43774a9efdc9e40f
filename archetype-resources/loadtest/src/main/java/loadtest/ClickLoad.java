package ${package}.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * An HTTP load generator for {@code POST /api/clicks}: several keep-alive connections, one thread each.
 *
 * <ul>
 *   <li>{@link #closedLoop}: each connection sends its next request as soon as the last is answered; gives
 *       the highest rate the server sustains. Latency counts from the actual send.</li>
 *   <li>{@link #fixedRate}: request {@code n} is due at {@code start + n / rate}; a connection that is late
 *       sends at once, and latency counts from the time the request was <em>due</em>, so a server stall
 *       shows in the figures instead of silently slowing the generator (no coordinated omission).</li>
 * </ul>
 */
public final class ClickLoad {

    /** The body of request number {@code sequence}. */
    public interface RequestSource {
        byte[] body(long sequence);
    }

    /**
     * Sees every answer, on the connection's thread; e.g. collects event ids. Times are
     * {@link System#nanoTime()}: when the request was due, when it was actually sent (later than due when all
     * connections were busy), and when its answer (or failure) came.
     */
    public interface AnswerListener {
        void onAnswer(long sequence, HttpExchange.Response response, long dueNanos, long sentNanos, long doneNanos);

        default void onFailure(long sequence, IOException error, long dueNanos, long sentNanos, long doneNanos) {
        }
    }

    /** Which client sends: the plain socket (cheap) or the JDK's HttpClient (to compare what it costs). */
    public enum Client { SOCKET, JDK }

    public record Result(long requests, Map<Integer, Long> statuses, long failures, String firstFailure,
                         double seconds, LatencyRecorder.Summary latency) {
        public long answered(int status) {
            return statuses.getOrDefault(status, 0L);
        }

        public double requestsPerSecond() {
            return requests / seconds;
        }
    }

    private final URI base;
    private final String path;
    private final int connections;
    private final RequestSource source;
    private final AnswerListener listener;
    private final Client client;
    private final int timeoutMillis;

    public ClickLoad(URI base, String path, int connections, RequestSource source, AnswerListener listener,
                     Client client, int timeoutMillis) {
        this.base = base;
        this.path = path;
        this.connections = connections;
        this.source = source;
        this.listener = listener;
        this.client = client;
        this.timeoutMillis = timeoutMillis;
    }

    public Result closedLoop(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        return run(sequence -> {
            long now = System.nanoTime();
            return now < deadline ? now : -1;
        }, true);
    }

    /** Sends {@code total} requests at {@code perSecond}, spread over the connections, starting now. */
    public Result fixedRate(double perSecond, long total) {
        return fixedRate(FixedRate.startingNow(perSecond, total));
    }

    /** Sends the requests of {@code schedule}; a caller that knows the schedule can time later events too. */
    public Result fixedRate(FixedRate schedule) {
        return run(sequence -> sequence < schedule.total() ? schedule.dueNanos(sequence) : -1, false);
    }

    /** Request {@code n} is due at {@code startNanos + n * intervalNanos} ({@link System#nanoTime()} clock). */
    public record FixedRate(long startNanos, long intervalNanos, long total) {
        public static FixedRate startingNow(double perSecond, long total) {
            // a little slack, so that the connections' threads are running when the first request is due
            return new FixedRate(System.nanoTime() + 20_000_000L, (long) (1e9 / perSecond), total);
        }

        public long dueNanos(long sequence) {
            return startNanos + sequence * intervalNanos;
        }
    }

    /** When request {@code sequence} is due, or -1 when the run is over. */
    private interface Schedule {
        long dueNanos(long sequence);
    }

    private Result run(Schedule schedule, boolean backOffOnFailure) {
        AtomicLong nextSequence = new AtomicLong();
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        LongAdder failures = new LongAdder();
        AtomicLong requests = new AtomicLong();
        List<LatencyRecorder> recorders = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        String[] firstFailure = new String[1];
        HttpClient jdk = client == Client.JDK
                ? HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofMillis(timeoutMillis)).build()
                : null;
        long started = System.nanoTime();
        for (int c = 0; c < connections; c++) {
            int connection = c;
            LatencyRecorder recorder = new LatencyRecorder();
            recorders.add(recorder);
            Thread thread = new Thread(() -> {
                // Each connection one of many clients, as real traffic is: the server bounds what each client holds.
                try (HttpExchange exchange = new HttpExchange(base, timeoutMillis,
                        LoopbackClients.forConnection(connection))) {
                    while (true) {
                        long sequence = nextSequence.getAndIncrement();
                        long due = schedule.dueNanos(sequence);
                        if (due < 0) {
                            return;
                        }
                        waitUntil(due);
                        byte[] body = source.body(sequence);
                        requests.incrementAndGet();
                        long sent = System.nanoTime();
                        try {
                            HttpExchange.Response response = jdk == null
                                    ? exchange.postJson(path, body)
                                    : sendWithJdk(jdk, body);
                            long done = System.nanoTime();
                            recorder.record(done - due);
                            statuses.computeIfAbsent(response.status(), s -> new LongAdder()).increment();
                            listener.onAnswer(sequence, response, due, sent, done);
                        } catch (IOException e) {
                            long done = System.nanoTime();
                            failures.increment();
                            synchronized (firstFailure) {
                                if (firstFailure[0] == null) {
                                    firstFailure[0] = e.toString();
                                }
                            }
                            listener.onFailure(sequence, e, due, sent, done);
                            if (backOffOnFailure) {
                                LockSupport.parkNanos(10_000_000L);
                            }
                        }
                    }
                }
            }, "click-load-" + c);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the load ran", e);
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<Integer, Long> counts = new TreeMap<>();
        statuses.forEach((status, adder) -> counts.put(status, adder.sum()));
        return new Result(requests.get(), counts, failures.sum(), firstFailure[0], seconds,
                LatencyRecorder.merge(recorders));
    }

    private HttpExchange.Response sendWithJdk(HttpClient jdk, byte[] body) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofMillis(timeoutMillis))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            HttpResponse<byte[]> response = jdk.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new HttpExchange.Response(response.statusCode(), response.body(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void waitUntil(long dueNanos) {
        for (long wait = dueNanos - System.nanoTime(); wait > 0; wait = dueNanos - System.nanoTime()) {
            LockSupport.parkNanos(wait);
        }
    }

    /** How many clicks an answer accepted: each accepted click carries an eventId. */
    public static int acceptedClicks(byte[] body) {
        byte[] key = {'"', 'e', 'v', 'e', 'n', 't', 'I', 'd', '"'};
        int found = 0;
        outer:
        for (int i = 0; i <= body.length - key.length; i++) {
            for (int k = 0; k < key.length; k++) {
                if (body[i + k] != key[k]) {
                    continue outer;
                }
            }
            found++;
            i += key.length - 1;
        }
        return found;
    }
}
