package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.HttpExchange;
import ${package}.loadtest.LatencyRecorder;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Well-behaved clients while a fault test attacks the web producer: real clicks at a fixed rate, each on a new
 * connection as a browser's first click is, from given client addresses (round robin). Latency counts from when
 * a click was due, so a stall of the server shows instead of slowing the probes down.
 */
final class ClickProbes {

    /** A client: the address it connects from, and header lines it sends (a proxy's X-Forwarded-For, say). */
    record Client(InetAddress address, String headerLines) {
        static Client at(String address) {
            return new Client(ClickProbes.address(address), "");
        }

        static Client through(String proxy, String forwardedFor) {
            return new Client(ClickProbes.address(proxy), "X-Forwarded-For: " + forwardedFor + "\r\n");
        }
    }

    /** What the probes got: how many were sent and answered 202, their latency, and every other answer by kind. */
    record Result(long sent, long accepted, LatencyRecorder.Summary latency, Map<String, Integer> others,
                  String firstOther) {

        double acceptedShare() {
            return accepted / (double) sent;
        }

        double p99Millis() {
            return latency.percentileMillis(99);
        }

        String describe() {
            return String.format(Locale.ROOT, "%d of %d clicks got 202 (%.1f%%), p50 %.0f ms, p99 %.0f ms, max %.0f ms,"
                    + " other answers %s", accepted, sent, 100 * acceptedShare(), latency.percentileMillis(50),
                    p99Millis(), latency.maxMillis(), others.isEmpty() ? "none" : others);
        }
    }

    private static final AtomicLong SEQUENCE = new AtomicLong(5_000_000_000L);

    private ClickProbes() {
    }

    /** {@code perSecond} clicks a second for {@code duration}, from {@code clients} in turn. */
    static Result run(URI base, List<Client> clients, int perSecond, Duration duration) throws Exception {
        int total = (int) (perSecond * duration.toSeconds());
        long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
        LatencyRecorder latency = new LatencyRecorder();
        AtomicLong accepted = new AtomicLong();
        List<String> others = new ArrayList<>();
        ExecutorService senders = Executors.newFixedThreadPool(100);
        List<Future<?>> sends = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int i = 0; i < total; i++) {
                long due = start + i * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                Client client = clients.get(i % clients.size());
                long seq = SEQUENCE.getAndIncrement();
                sends.add(senders.submit(() -> {
                    String outcome;
                    try (HttpExchange exchange = new HttpExchange(base, 10_000, client.address())) {
                        HttpExchange.Response response = exchange.postJson("/api/clicks", BenchClicks.single(seq),
                                client.headerLines());
                        outcome = response.status() == 202 ? null : response.status() + " " + response.bodyText();
                    } catch (IOException e) {
                        outcome = e.toString();
                    }
                    long done = System.nanoTime();
                    synchronized (latency) {
                        latency.record(done - due);
                        if (outcome == null) {
                            accepted.incrementAndGet();
                        } else {
                            others.add(outcome);
                        }
                    }
                }));
            }
            for (Future<?> send : sends) {
                send.get(60, TimeUnit.SECONDS);
            }
        } finally {
            senders.shutdownNow();
        }
        synchronized (latency) {
            Map<String, Integer> counts = new TreeMap<>();
            others.forEach(other -> counts.merge(other.split("[ :]", 2)[0], 1, Integer::sum));
            return new Result(total, accepted.get(), LatencyRecorder.merge(List.of(latency)), counts,
                    others.isEmpty() ? "-" : others.get(0));
        }
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
