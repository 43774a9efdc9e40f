package ${package}.consumer;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tmpfs of a few megabytes mounted on a directory: a disk that really fills up. Mounting needs root (CI runs as
 * root); elsewhere a test using it says so and skips, but under {@code CI=true} it fails instead of skipping.
 */
final class SmallTmpfs implements AutoCloseable {

    private final Path dir;

    private SmallTmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} (as mount's {@code -o size=}, e.g. {@code 2m}) on a new directory. */
    static SmallTmpfs mount(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String problem;
        try {
            Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
                    .redirectErrorStream(true).start();
            String output = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0) {
                return new SmallTmpfs(dir);
            }
            problem = "mount -t tmpfs failed (" + output + "): the disk-full tests need root";
        } catch (IOException e) {
            problem = "no mount command (" + e.getMessage() + "): the disk-full tests need it, and root";
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("CI=true and " + problem + "; CI runs the build as root");
        }
        System.out.println("SKIPPED: " + problem);
        Assumptions.abort(problem);
        return null;
    }

    Path dir() {
        return dir;
    }

    /** Writes a file until the disk is full; deleting it makes room again. */
    Path fillUp() throws IOException {
        Path filler = dir.resolve("filler");
        byte[] block = new byte[4096];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException e) {
            assertTrue(String.valueOf(e.getMessage()).contains("No space left on device"), e.toString());
        }
        return filler;
    }

    /** Unmounts; lazily if a file on it is still open (a test that failed before closing its sink). */
    @Override
    public void close() throws IOException, InterruptedException {
        Process umount = new ProcessBuilder("umount", dir.toString()).inheritIO().start();
        if (!umount.waitFor(30, TimeUnit.SECONDS) || umount.exitValue() != 0) {
            Process lazy = new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start();
            assertTrue(lazy.waitFor(30, TimeUnit.SECONDS) && lazy.exitValue() == 0, "umount -l " + dir);
        }
    }
}
