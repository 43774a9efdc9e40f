package ${package}.consumer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The {@code clientEventId}s of the last {@code window} clicks stored for one partition: a click whose id is among
 * them is a browser's retry of a click already stored (its first answer was lost, or it was sent again after a 503
 * in which it had in fact been stored) and is dropped.
 *
 * <p>A user's clicks share a partition (the record key), and a tracker retries within a couple of minutes, so a
 * window of the partition's most recent clicks holds every copy that can still come. Each id is kept as a 64-bit
 * fingerprint of the user (or session) and the id: about 24 bytes per click instead of a few hundred for strings,
 * so 100,000 clicks take 2.4 MB. Two different clicks of one user collide with a chance of about
 * {@code window / 2^64} (10^-14 for 100,000), and a page cannot suppress another user's clicks by reusing their ids.
 *
 * <p>Not thread-safe: the sink calls it under its own lock. Public for the database sinks of the subpackages.
 */
public final class RecentClientEvents {

    /**
     * How many of a partition's latest clicks a retry is checked against: a tracker gives up on a click within about
     * two minutes, so this covers up to about 800 clicks a second per partition; 2.4 MB of heap per partition.
     */
    public static final int WINDOW = 100_000;

    private static final long EMPTY = 0;

    /** The fingerprints in the order stored, oldest overwritten first; {@link #EMPTY} for a click without an id. */
    private final long[] order;
    private int next;
    /** Open addressing with linear probing over the non-empty fingerprints of {@link #order}. */
    private final long[] table;
    private final int mask;
    private int size;

    public RecentClientEvents(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("the window holds at least one click, got " + window);
        }
        order = new long[window];
        int capacity = Integer.highestOneBit(Math.max(4, window * 2 - 1)) << 1; // load factor at most one half
        table = new long[capacity];
        mask = capacity - 1;
    }

    /** The fingerprint of a click's id, or {@link #EMPTY} if it has none. */
    public static long fingerprint(String partitionKey, String clientEventId) {
        if (clientEventId == null) {
            return EMPTY;
        }
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        sha256.update(String.valueOf(partitionKey).getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0);
        byte[] digest = sha256.digest(clientEventId.getBytes(StandardCharsets.UTF_8));
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = (value << 8) | (digest[i] & 0xFF);
        }
        return value == EMPTY ? 1 : value;
    }

    public boolean contains(long fingerprint) {
        if (fingerprint == EMPTY) {
            return false;
        }
        for (int slot = slot(fingerprint); table[slot] != EMPTY; slot = (slot + 1) & mask) {
            if (table[slot] == fingerprint) {
                return true;
            }
        }
        return false;
    }

    /** Records the next stored click (a fingerprint, or {@link #EMPTY} for one without an id); the oldest leaves. */
    public void add(long fingerprint) {
        long leaving = order[next];
        if (leaving != EMPTY) {
            remove(leaving);
        }
        // A fingerprint already in the window (only a sink file written before deduplication holds one twice) is
        // kept once, and leaves with its older copy.
        boolean known = contains(fingerprint);
        order[next] = known ? EMPTY : fingerprint;
        next = (next + 1) % order.length;
        if (fingerprint != EMPTY && !known) {
            int slot = slot(fingerprint);
            while (table[slot] != EMPTY) {
                slot = (slot + 1) & mask;
            }
            table[slot] = fingerprint;
            size++;
        }
    }

    public int size() {
        return size;
    }

    /**
     * Removes one fingerprint, keeping every other reachable from its home slot (backward-shift deletion).
     */
    private void remove(long fingerprint) {
        int slot = slot(fingerprint);
        while (table[slot] != fingerprint) {
            if (table[slot] == EMPTY) {
                return;
            }
            slot = (slot + 1) & mask;
        }
        table[slot] = EMPTY;
        size--;
        for (int gap = slot, probe = (slot + 1) & mask; table[probe] != EMPTY; probe = (probe + 1) & mask) {
            int home = slot(table[probe]);
            // The entry at probe may move into the gap if its home is not in the cyclic range (gap, probe].
            boolean homeAfterGap = gap <= probe ? home > gap && home <= probe : home > gap || home <= probe;
            if (!homeAfterGap) {
                table[gap] = table[probe];
                table[probe] = EMPTY;
                gap = probe;
            }
        }
    }

    private int slot(long fingerprint) {
        return (int) (fingerprint ^ (fingerprint >>> 32)) & mask;
    }
}
