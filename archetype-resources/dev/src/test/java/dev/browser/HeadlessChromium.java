package ${package}.dev.browser;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.chromium.ChromiumDriverLogLevel;
import org.openqa.selenium.logging.LogType;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * A real browser for tests: Debian's {@code chromium} driven through its {@code chromedriver}
 * ({@code apt-get install chromium chromium-driver}), headless. Selenium's own driver download (Selenium Manager)
 * never runs: the driver's path is given, so no network is needed.
 *
 * <p>Without Chromium the tests skip, saying what to install; under {@code CI=true} they fail instead, because a
 * CI that skips the browser proves nothing about browsers.
 */
final class HeadlessChromium implements AutoCloseable {

    /** Where Debian, Ubuntu and others put them; {@code -Dbrowser.binary} and {@code -Dbrowser.driver} override. */
    private static final List<String> BINARIES = List.of("/usr/lib/chromium/chromium", "/usr/bin/chromium",
            "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
    private static final List<String> DRIVERS = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "browser-screenshots");
    /** Selenium warns that it has no DevTools module for this Chromium; none is used. Kept so the level sticks. */
    private static final Logger CDP_LOG = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    private final ChromeDriver driver;

    private HeadlessChromium(ChromeDriver driver) {
        this.driver = driver;
    }

    /**
     * Starts the browser, or skips (fails under CI) the calling test class when there is none.
     *
     * @param arguments more command-line switches for Chromium
     */
    static HeadlessChromium startOrSkip(String... arguments) {
        Optional<String> binary = find("browser.binary", BINARIES);
        Optional<String> driverPath = find("browser.driver", DRIVERS);
        if (binary.isEmpty() || driverPath.isEmpty()) {
            String reason = "no headless browser on this machine (looked for Chromium in " + BINARIES + " and"
                    + " chromedriver in " + DRIVERS + "): install it with `apt-get install chromium chromium-driver`"
                    + " (Debian, Ubuntu) or point -Dbrowser.binary and -Dbrowser.driver at a Chrome and its driver";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("CI=true and " + reason + "; .ci/run installs them");
            }
            System.out.println("SKIPPED: " + reason);
            Assumptions.abort(reason);
        }
        CDP_LOG.setLevel(Level.SEVERE);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(driverPath.get()))
                .usingAnyFreePort()
                .withTimeout(Duration.ofSeconds(30))
                .withLogFile(new File("target/chromedriver.log"))
                .withLogLevel(ChromiumDriverLogLevel.INFO)
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(binary.get());
        // --no-sandbox: Chromium refuses to run as root with its sandbox (CI runs as root). --disable-dev-shm-usage:
        // a container's /dev/shm is 64 MB by default, too small for a renderer.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
        options.addArguments(arguments);
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
        System.out.println("Browser: " + driver.getCapabilities().getBrowserName() + " "
                + driver.getCapabilities().getBrowserVersion() + " (" + binary.get() + ", " + driverPath.get() + ")");
        return new HeadlessChromium(driver);
    }

    ChromeDriver driver() {
        return driver;
    }

    Object script(String javascript) {
        return ((JavascriptExecutor) driver).executeScript(javascript);
    }

    /** Saves what the page shows to target/browser-screenshots/NAME.png and says where (the report keeps it). */
    Path screenshot(String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        Path file = SCREENSHOTS.resolve(name + ".png");
        Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), file, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("Screenshot: " + file.toAbsolutePath());
        return file;
    }

    /** The browser console's messages since the last call: CORS refusals and the tracker's warnings land there. */
    String console() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(entry -> entry.getLevel() + " " + entry.getMessage())
                .collect(Collectors.joining("\n  ", "browser console:\n  ", ""));
    }

    @Override
    public void close() {
        driver.quit();
    }

    private static Optional<String> find(String property, List<String> candidates) {
        String given = System.getProperty(property);
        if (given != null && !given.isBlank()) {
            return Optional.of(given).filter(path -> Files.isExecutable(Path.of(path)));
        }
        return candidates.stream().filter(path -> Files.isExecutable(Path.of(path))).findFirst();
    }
}
