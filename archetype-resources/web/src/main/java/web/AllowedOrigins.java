package ${package}.web;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which web origins may post clicks from a browser: the CORS allowlist, from {@value #VARIABLE}
 * (comma-separated origins such as {@code https://www.example.com,https://shop.example.com}, subdomain patterns
 * such as {@code https://*.example.com}, or {@code *}).
 *
 * <ul>
 *   <li>A request without {@code Origin} is not from a page (curl, a server, a test) and is let through: CORS
 *       protects browsers' users, it cannot stop other clients, which can send any header they like.</li>
 *   <li>A page of the web producer itself (the demo page) is always allowed: a page of its public origin,
 *       {@value #PUBLIC_ORIGIN_VARIABLE} (where users reach it, such as {@code https://clicks.example.com} behind a
 *       proxy), or without one, a page of {@code localhost}, {@code 127.0.0.1} or {@code [::1]} on the port the
 *       request came in on. Never the request's {@code Host}: a page on another site can make a browser send
 *       this server any {@code Host} it likes (DNS rebinding), but not another {@code Origin}.</li>
 *   <li>A listed origin is echoed in {@code Access-Control-Allow-Origin}, with {@code Vary: Origin} (caches must
 *       not hand one origin's answer to another) and {@code Access-Control-Allow-Credentials: true}, because
 *       {@code navigator.sendBeacon} always sends credentialed requests.</li>
 *   <li>A subdomain pattern {@code scheme://*.domain[:port]} allows the origins of that scheme and port (no port:
 *       the scheme's default, as for a listed origin) whose host ends in {@code .domain} with at least one label
 *       before it, at any depth: {@code https://*.example.com} allows {@code https://shop.example.com} and
 *       {@code https://eu.shop.example.com}, not {@code https://example.com} (list it as well) nor
 *       {@code https://evil-example.com}. A match is answered like a listed origin.</li>
 *   <li>{@code *} allows every origin, but only when configured explicitly, and then without credentials (the
 *       CORS rules forbid both together): string beacons still arrive, typed JSON beacons do not.</li>
 *   <li>Any other origin gets 403 and nothing it sent reaches the topic.</li>
 * </ul>
 */
public final class AllowedOrigins {

    public static final String VARIABLE = "CLICK_ALLOWED_ORIGINS";
    /** The origin where users reach the web producer's own pages; unset: loopback on its port. */
    public static final String PUBLIC_ORIGIN_VARIABLE = "WEB_PUBLIC_ORIGIN";
    /** The value chosen when the project was generated ({@code allowedOrigins}); {@value #VARIABLE} replaces it. */
    public static final String DEFAULT = "${allowedOrigins}";
    /** How long a browser may reuse a preflight's answer: Chrome caps it at two hours, Firefox at one day. */
    static final int PREFLIGHT_MAX_AGE_SECONDS = 7200;

    /** What an answer to a request without a foreign origin carries: it differs by origin, so caches must know. */
    private static final Map<String, String> VARY_ONLY = Map.of("Vary", "Origin");
    /** What {@code *} gives every foreign origin. */
    private static final Map<String, String> ANY_ORIGIN = cors("*", false);

    /** Listed origins, normalized: looked up at once, since most requests come from one of them. */
    private final Set<String> origins;
    private final List<SubdomainPattern> subdomains;
    /** Origins and patterns in the order given, for {@link #toString()}. */
    private final List<String> configured;
    private final boolean anyOrigin;
    /** The web producer's own origin, normalized; null: loopback on the port a request came in on. */
    private final String publicOrigin;

    private AllowedOrigins(Set<String> origins, List<SubdomainPattern> subdomains, List<String> configured,
                           boolean anyOrigin, String publicOrigin) {
        this.origins = Collections.unmodifiableSet(new LinkedHashSet<>(origins));
        this.subdomains = List.copyOf(subdomains);
        this.configured = List.copyOf(configured);
        this.anyOrigin = anyOrigin;
        this.publicOrigin = publicOrigin;
    }

    /** Parses a comma-separated list; an error names the bad entry, the rule and an example. */
    public static AllowedOrigins parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(VARIABLE + " is empty: list the origins of the pages that send clicks,"
                    + " comma-separated (for example https://www.example.com), or * for any origin");
        }
        Set<String> origins = new LinkedHashSet<>();
        List<SubdomainPattern> subdomains = new ArrayList<>();
        Set<String> configured = new LinkedHashSet<>();
        boolean any = false;
        for (String entry : value.split(",", -1)) {
            String origin = entry.trim();
            if (origin.equals("*")) {
                any = true;
            } else if (origin.contains("*")) {
                SubdomainPattern pattern = SubdomainPattern.parse(origin);
                if (configured.add(pattern.toString())) {
                    subdomains.add(pattern);
                }
            } else {
                String normalized = normalize(origin);
                origins.add(normalized);
                configured.add(normalized);
            }
        }
        if (any && !configured.isEmpty()) {
            throw new IllegalArgumentException(VARIABLE + "='" + value + "': * already allows every origin; give"
                    + " either * alone or a list of origins");
        }
        return new AllowedOrigins(origins, subdomains, List.copyOf(configured), any, null);
    }

    /** {@value #VARIABLE} from the environment, else {@link #DEFAULT}; and {@value #PUBLIC_ORIGIN_VARIABLE}. */
    static AllowedOrigins resolve(Map<String, String> environment) {
        String value = environment.get(VARIABLE);
        String publicOrigin = environment.get(PUBLIC_ORIGIN_VARIABLE);
        return parse(value == null || value.isBlank() ? DEFAULT : value)
                .withPublicOrigin(publicOrigin == null || publicOrigin.isBlank() ? null : publicOrigin.trim());
    }

    /** The same allowlist, with the web producer's own pages at {@code origin} (null: loopback on its port). */
    public AllowedOrigins withPublicOrigin(String origin) {
        String normalized;
        try {
            normalized = origin == null ? null : normalize(origin);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace(VARIABLE + " entry", PUBLIC_ORIGIN_VARIABLE));
        }
        return new AllowedOrigins(origins, subdomains, configured, anyOrigin, normalized);
    }

    /** The web producer's own origin, as configured; empty when it is loopback on the port of each request. */
    Optional<String> publicOrigin() {
        return Optional.ofNullable(publicOrigin);
    }

    /**
     * An origin in the form browsers send: {@code scheme://host[:port]}, scheme and host in lower case, without
     * the scheme's default port.
     */
    static String normalize(String origin) {
        String hint = ": an origin is scheme://host[:port] with http or https and no path, not even a trailing /"
                + " (for example https://www.example.com or http://localhost:8080)";
        URI uri;
        try {
            uri = new URI(origin);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(VARIABLE + " entry '" + origin + "' is not an origin" + hint);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getRawUserInfo() != null
                || !uri.getRawPath().isEmpty() || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(VARIABLE + " entry '" + origin + "' is not an origin" + hint);
        }
        int port = uri.getPort();
        boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }

    boolean allowsAnyOrigin() {
        return anyOrigin;
    }

    /** The origins and subdomain patterns as configured, normalized; {@code [*]} for any. */
    List<String> origins() {
        return anyOrigin ? List.of("*") : configured;
    }

    /**
     * The CORS headers every answer to this request carries; a 403 when a browser sends it from an origin that is
     * not allowed.
     */
    Map<String, String> headersFor(WebRequest request) throws RejectedRequest {
        String origin = request.header("Origin");
        Map<String, String> cors = corsHeaders(origin, request.localPort());
        if (!cors.isEmpty()) {
            return cors;
        }
        if (origin != null && !ownOrigin(origin, request.localPort())) {
            throw new RejectedRequest("origin_not_allowed", HttpAnswer.error(403, "pages of the origin "
                    + printable(origin) + " may not send clicks to this collector: its operator lists the origins that"
                    + " may in " + VARIABLE).withHeader("Vary", "Origin"));
        }
        return VARY_ONLY;
    }

    /**
     * The CORS headers that let a page of {@code origin} read an answer; empty when there are none to give: no
     * origin, a page of this server, or an origin that is not allowed. Never throws: the connection also uses it
     * for the errors it writes before any route ran, where a refused origin keeps its 4xx.
     *
     * @param origin    the request's {@code Origin}; null without one
     * @param localPort the port the request came in on
     */
    Map<String, String> corsHeaders(String origin, int localPort) {
        if (origin == null || ownOrigin(origin, localPort)) {
            return Map.of();
        }
        if (anyOrigin) {
            return ANY_ORIGIN;
        }
        return allows(origin) ? cors(origin, true) : Map.of();
    }

    private boolean allows(String origin) {
        String lower = origin.toLowerCase(Locale.ROOT);
        if (origins.contains(lower)) {
            return true;
        }
        for (SubdomainPattern pattern : subdomains) {
            if (pattern.matches(lower)) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> cors(String allowOrigin, boolean credentials) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Vary", "Origin");
        headers.put("Access-Control-Allow-Origin", allowOrigin);
        if (credentials) {
            headers.put("Access-Control-Allow-Credentials", "true");
        }
        // Without this, a page cannot read how long to wait before it sends again after a 503.
        headers.put("Access-Control-Expose-Headers", "Retry-After");
        return Collections.unmodifiableMap(headers);
    }

    /** The answer to a CORS preflight ({@code OPTIONS}): 204 with what the browser may send, or 403. */
    HttpAnswer preflight(WebRequest request) throws RejectedRequest {
        Map<String, String> headers = headersFor(request);
        HttpAnswer answer = HttpAnswer.of(204, HttpAnswer.JSON, new byte[0]).withHeaders(headers)
                .withHeader("Access-Control-Allow-Methods", "POST")
                .withHeader("Access-Control-Allow-Headers", "Content-Type")
                .withHeader("Access-Control-Max-Age", String.valueOf(PREFLIGHT_MAX_AGE_SECONDS));
        // Chrome asks before a public page may reach a private address (a collector on a LAN or in development);
        // an origin the operator listed has that consent.
        if ("true".equalsIgnoreCase(request.header("Access-Control-Request-Private-Network"))) {
            answer = answer.withHeader("Access-Control-Allow-Private-Network", "true");
        }
        return answer;
    }

    /** A page of this very server: its public origin, or without one, loopback on the port of the request. */
    private boolean ownOrigin(String origin, int localPort) {
        String normalized;
        try {
            normalized = normalize(origin);
        } catch (IllegalArgumentException e) {
            return false; // "null" (a sandboxed frame, a file:// page) or garbage: never this server's own page
        }
        if (publicOrigin != null) {
            return publicOrigin.equals(normalized);
        }
        return normalized.equals("http://localhost:" + localPort) || normalized.equals("http://127.0.0.1:" + localPort)
                || normalized.equals("http://[::1]:" + localPort);
    }

    /** An origin as it may appear in an answer: at most 200 printable ASCII characters. */
    private static String printable(String origin) {
        String cut = origin.length() > 200 ? origin.substring(0, 200) + "..." : origin;
        return cut.chars().allMatch(c -> c >= 0x20 && c < 0x7F) ? cut : "(not printable)";
    }

    @Override
    public String toString() {
        return String.join(",", origins());
    }

    /**
     * {@code scheme://*.domain[:port]}: the origins of that scheme and port whose host is a subdomain of
     * {@code domain}, at any depth. Kept as the parts an origin it allows starts and ends with, so that matching is
     * two comparisons and a look at the labels between them.
     *
     * @param prefix {@code scheme://}
     * @param suffix {@code .domain}, then {@code :port} unless it is the scheme's default
     */
    private record SubdomainPattern(String prefix, String suffix) {

        /** Host labels only: nothing between prefix and suffix may end the host early (a port, a path, a user). */
        private static final Pattern LABELS = Pattern.compile("[a-z0-9-]+(\\.[a-z0-9-]+)*");

        static SubdomainPattern parse(String entry) {
            String shape = "write scheme://*.domain[:port] with http or https and no path, not even a trailing /";
            String lower = entry.toLowerCase(Locale.ROOT);
            int schemeEnd = lower.indexOf("://");
            if (schemeEnd < 0) {
                throw invalid(entry, shape);
            }
            String afterScheme = lower.substring(schemeEnd + 3);
            if (!afterScheme.startsWith("*.") || afterScheme.indexOf('*', 1) >= 0) {
                throw invalid(entry, "* may only be the whole leftmost label, once, followed by a dot");
            }
            String domainAndPort = afterScheme.substring(2);
            if (isIpAddress(domainAndPort.split("[:/?]", 2)[0])) {
                throw invalid(entry, "after *. comes a domain name, not an IP address (list such origins one by one)");
            }
            String domainOrigin;
            try {
                domainOrigin = normalize(lower.substring(0, schemeEnd + 3) + domainAndPort);
            } catch (IllegalArgumentException e) {
                throw invalid(entry, shape);
            }
            int hostStart = domainOrigin.indexOf("://") + 3;
            String host = URI.create(domainOrigin).getHost();
            if (host.split("\\.").length < 2) {
                throw invalid(entry, "after *. comes a domain of at least two labels: *." + host + " would allow every"
                        + " site under ." + host);
            }
            return new SubdomainPattern(domainOrigin.substring(0, hostStart), "." + domainOrigin.substring(hostStart));
        }

        /** Browsers read a host whose last label is a number as an IPv4 address; IPv6 ones are in brackets. */
        private static boolean isIpAddress(String host) {
            String lastLabel = host.substring(host.lastIndexOf('.') + 1);
            return host.startsWith("[") || !lastLabel.isEmpty() && lastLabel.chars().allMatch(c -> c >= '0' && c <= '9');
        }

        /** @param origin in lower case */
        boolean matches(String origin) {
            int labelsEnd = origin.length() - suffix.length();
            return labelsEnd > prefix.length() && origin.startsWith(prefix) && origin.endsWith(suffix)
                    && LABELS.matcher(origin).region(prefix.length(), labelsEnd).matches();
        }

        private static IllegalArgumentException invalid(String entry, String rule) {
            return new IllegalArgumentException(VARIABLE + " entry '" + entry + "' is not a subdomain pattern: " + rule
                    + " (for example https://*.example.com, which allows https://shop.example.com and"
                    + " https://eu.shop.example.com; list https://example.com as well for the domain itself)");
        }

        @Override
        public String toString() {
            return prefix + "*" + suffix;
        }
    }
}
