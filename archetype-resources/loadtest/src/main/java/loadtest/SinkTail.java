package ${package}.loadtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Follows the consumer's JSON Lines files ({@code <dataDir>/<topic>/dt=YYYY-MM-DD/hour=HH/<topic>-<partition>-
 * <firstOffset>.jsonl}, and the {@code <dataDir>/<topic>-<partition>.jsonl} of earlier versions) as they grow and as
 * new ones appear, like {@code tail -F}, and hands each complete line to a listener with the time it was seen.
 *
 * <p>It polls every 0.2 ms: the end-to-end latency it reports then includes at most that much of its own.
 */
public final class SinkTail implements AutoCloseable {

    /** One complete line (without its newline) and {@link System#nanoTime()} when it was read. */
    public interface LineListener {
        void onLine(byte[] line, long seenNanos);
    }

    private final Path dataDir;
    private final String filePrefix;
    private final LineListener listener;
    private final Map<Path, Follower> followers = new HashMap<>();
    private final AtomicLong lines = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    public SinkTail(Path dataDir, String topic, LineListener listener) {
        this.dataDir = dataDir;
        this.filePrefix = topic + "-";
        this.listener = listener;
        this.thread = new Thread(this::follow, "sink-tail");
        thread.setDaemon(true);
        thread.start();
    }

    /** Lines seen so far. */
    public long lines() {
        return lines.get();
    }

    private void follow() {
        long nextScan = 0;
        while (running) {
            long now = System.nanoTime();
            if (now >= nextScan) {
                discoverFiles();
                nextScan = now + 50_000_000L;
            }
            boolean readSomething = false;
            for (Follower follower : followers.values()) {
                readSomething |= follower.readNewLines();
            }
            if (!readSomething) {
                LockSupport.parkNanos(200_000L);
            }
        }
        followers.values().forEach(Follower::close);
    }

    private void discoverFiles() {
        if (!Files.isDirectory(dataDir)) {
            return;
        }
        try {
            for (Path file : SinkContents.files(dataDir, filePrefix.substring(0, filePrefix.length() - 1))) {
                if (!followers.containsKey(file)) {
                    followers.put(file, new Follower(file));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // a file the consumer started and took back (a failed batch) vanished between listing and opening;
            // the next scan sees the directory as it is
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Follower {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        private byte[] partial = new byte[0];

        Follower(Path file) {
            try {
                channel = FileChannel.open(file, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open " + file, e);
            }
        }

        boolean readNewLines() {
            try {
                buffer.clear();
                int read = channel.read(buffer);
                if (read <= 0) {
                    return false;
                }
                long seen = System.nanoTime();
                byte[] chunk = new byte[partial.length + read];
                System.arraycopy(partial, 0, chunk, 0, partial.length);
                buffer.flip();
                buffer.get(chunk, partial.length, read);
                int lineStart = 0;
                for (int i = 0; i < chunk.length; i++) {
                    if (chunk[i] == '\n') {
                        listener.onLine(Arrays.copyOfRange(chunk, lineStart, i), seen);
                        lines.incrementAndGet();
                        lineStart = i + 1;
                    }
                }
                partial = Arrays.copyOfRange(chunk, lineStart, chunk.length);
                return true;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the sink file", e);
            }
        }

        void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // only read from; nothing to lose
            }
        }
    }
}
