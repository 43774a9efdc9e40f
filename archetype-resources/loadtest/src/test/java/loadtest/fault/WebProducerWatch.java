package ${package}.loadtest.fault;

import ${package}.dev.process.ChildJvm;
import ${package}.loadtest.ProcessStats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the web producer holds while a fault test attacks it, sampled every {@value #INTERVAL_MILLIS} ms until
 * {@link #finish()}: its resident memory, and from its management port the memory of unfinished requests, Netty's
 * direct memory and its open connections. The heap comes from its GC log (started with {@link #gcLogOption}): the
 * heap after each collection within the watch, and after each full collection, which is what is live.
 */
final class WebProducerWatch {

    static final long INTERVAL_MILLIS = 200;
    private static final Pattern COLLECTION = Pattern.compile("Pause (Young|Full).* (\\d+)M->(\\d+)M\\((\\d+)M\\)");

    /** The peaks of one watch. Memory in KiB (heap in MiB, as the GC log writes it). */
    record Peaks(long rssKb, long requestMemoryBytes, long directMemoryBytes, long connections, long heapAfterGcMb,
                 long liveHeapMb, int fullCollections, int collections) {

        String describe() {
            return String.format(Locale.ROOT, "web RSS peak %d MB, heap after collections at most %d MiB (%s), unfinished"
                            + " requests held at most %.1f MiB, Netty direct memory at most %.1f MiB, %d connections at most",
                    rssKb / 1024, heapAfterGcMb, fullCollections == 0 ? "no full collection of " + collections
                            : "live after " + fullCollections + " full collections of " + collections + ": at most "
                            + liveHeapMb + " MiB", requestMemoryBytes / 1048576.0, directMemoryBytes / 1048576.0,
                    connections);
        }
    }

    private final ChildJvm web;
    private final URI metrics;
    private final Path gcLog;
    private final long gcLogStart;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long rssKb;
    private volatile long requestMemory;
    private volatile long directMemory;
    private volatile long connections;

    WebProducerWatch(ChildJvm web, URI management, Path gcLog) {
        this.web = web;
        this.metrics = management.resolve("/metrics");
        this.gcLog = gcLog;
        this.gcLogStart = size(gcLog);
        this.thread = new Thread(this::sample, "web-producer-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** The JVM option that writes the GC log this watch reads. */
    static String gcLogOption(Path gcLog) {
        return "-Xlog:gc:file=" + gcLog;
    }

    Peaks finish() throws InterruptedException {
        running = false;
        thread.join();
        long afterGc = 0;
        long live = 0;
        int full = 0;
        int all = 0;
        for (String line : newGcLines()) {
            Matcher collection = COLLECTION.matcher(line);
            if (collection.find()) {
                all++;
                long after = Long.parseLong(collection.group(3));
                afterGc = Math.max(afterGc, after);
                if (collection.group(1).equals("Full")) {
                    full++;
                    live = Math.max(live, after);
                }
            }
        }
        return new Peaks(rssKb, requestMemory, directMemory, connections, afterGc, live, full, all);
    }

    private void sample() {
        while (running && web.isAlive()) {
            rssKb = Math.max(rssKb, ProcessStats.of(web.pid()).rssKb());
            try {
                String text = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                requestMemory = Math.max(requestMemory, sample(text, "web_request_memory_bytes"));
                directMemory = Math.max(directMemory, sample(text, "web_netty_direct_memory_bytes"));
                connections = Math.max(connections, sample(text, "web_connections"));
            } catch (IOException e) {
                // a scrape that failed under load: the next one counts
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            FaultPipeline.sleep(INTERVAL_MILLIS);
        }
    }

    private static long sample(String text, String name) {
        return text.lines().filter(line -> line.startsWith(name + " ")).findFirst()
                .map(line -> (long) Double.parseDouble(line.substring(name.length() + 1).trim())).orElse(0L);
    }

    private List<String> newGcLines() {
        try {
            byte[] all = Files.readAllBytes(gcLog);
            return new String(all, (int) Math.min(gcLogStart, all.length), all.length - (int) Math.min(gcLogStart,
                    all.length), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the web producer's GC log " + gcLog, e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
