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
import java.util.Set;

/**
 * Which web origins may post clicks from a browser: the CORS allowlist, from {@value #VARIABLE}
 * (comma-separated origins such as {@code https://www.example.com,https://shop.example.com}, or {@code *}).
 *
 * <ul>
 *   <li>A request without {@code Origin} is not from a page (curl, a server, a test) and is let through: CORS
 *       protects browsers' users, it cannot stop other clients, which can send any header they like.</li>
 *   <li>A page of the web producer itself (the demo page) is always allowed, whichever address it was opened
 *       on: its origin's host and port are the request's {@code Host}.</li>
 *   <li>A listed origin is echoed in {@code Access-Control-Allow-Origin}, with {@code Vary: Origin} (caches must
 *       not hand one origin's answer to another) and {@code Access-Control-Allow-Credentials: true}, because
 *       {@code navigator.sendBeacon} always sends credentialed requests.</li>
 *   <li>{@code *} allows every origin, but only when configured explicitly, and then without credentials (the
 *       CORS rules forbid both together): string beacons still arrive, typed JSON beacons do not.</li>
 *   <li>Any other origin gets 403 and nothing it sent reaches the topic.</li>
 * </ul>
 */
public final class AllowedOrigins {

    public static final String VARIABLE = "CLICK_ALLOWED_ORIGINS";
    /** The value chosen when the project was generated ({@code allowedOrigins}); {@value #VARIABLE} replaces it. */
    public static final String DEFAULT = "${allowedOrigins}";
    /** How long a browser may reuse a preflight's answer: Chrome caps it at two hours, Firefox at one day. */
    static final int PREFLIGHT_MAX_AGE_SECONDS = 7200;

    /** What an answer to a request without a foreign origin carries: it differs by origin, so caches must know. */
    private static final Map<String, String> VARY_ONLY = Map.of("Vary", "Origin");
    /** What {@code *} gives every foreign origin. */
    private static final Map<String, String> ANY_ORIGIN = cors("*", false);

    private final Set<String> origins;
    private final boolean anyOrigin;

    private AllowedOrigins(Set<String> origins, boolean anyOrigin) {
        this.origins = Collections.unmodifiableSet(new LinkedHashSet<>(origins));
        this.anyOrigin = anyOrigin;
    }

    /** Parses a comma-separated list; an error names the bad entry, the rule and an example. */
    public static AllowedOrigins parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(VARIABLE + " is empty: list the origins of the pages that send clicks,"
                    + " comma-separated (for example https://www.example.com), or * for any origin");
        }
        Set<String> origins = new LinkedHashSet<>();
        boolean any = false;
        for (String entry : value.split(",", -1)) {
            String origin = entry.trim();
            if (origin.equals("*")) {
                any = true;
            } else {
                origins.add(normalize(origin));
            }
        }
        if (any && !origins.isEmpty()) {
            throw new IllegalArgumentException(VARIABLE + "='" + value + "': * already allows every origin; give"
                    + " either * alone or a list of origins");
        }
        return new AllowedOrigins(origins, any);
    }

    /** {@value #VARIABLE} from the environment, else {@link #DEFAULT}. */
    static AllowedOrigins resolve(Map<String, String> environment) {
        String value = environment.get(VARIABLE);
        return parse(value == null || value.isBlank() ? DEFAULT : value);
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

    /** The origins as configured, normalized; {@code [*]} for any. */
    List<String> origins() {
        return anyOrigin ? List.of("*") : new ArrayList<>(origins);
    }

    /**
     * The CORS headers every answer to this request carries; a 403 when a browser sends it from an origin that is
     * not allowed.
     */
    Map<String, String> headersFor(WebRequest request) throws RejectedRequest {
        String origin = request.header("Origin");
        Map<String, String> cors = corsHeaders(origin, request.header("Host"));
        if (!cors.isEmpty()) {
            return cors;
        }
        if (origin != null && !sameOrigin(origin, request.header("Host"))) {
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
     * @param origin the request's {@code Origin}; null without one
     * @param host   the request's {@code Host}; null without one
     */
    Map<String, String> corsHeaders(String origin, String host) {
        if (origin == null || sameOrigin(origin, host)) {
            return Map.of();
        }
        if (anyOrigin) {
            return ANY_ORIGIN;
        }
        return origins.contains(origin.toLowerCase(Locale.ROOT)) ? cors(origin, true) : Map.of();
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

    /** A page of this very server: the origin's host and port are what the browser put in {@code Host}. */
    private static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        String normalized;
        try {
            normalized = normalize(origin);
        } catch (IllegalArgumentException e) {
            return false; // "null" (a sandboxed frame, a file:// page) or garbage: never this server's own page
        }
        String authority = normalized.substring(normalized.indexOf("://") + 3);
        String hostAuthority = host.toLowerCase(Locale.ROOT);
        if (normalized.startsWith("http://") && hostAuthority.endsWith(":80")) {
            hostAuthority = hostAuthority.substring(0, hostAuthority.length() - 3);
        } else if (normalized.startsWith("https://") && hostAuthority.endsWith(":443")) {
            hostAuthority = hostAuthority.substring(0, hostAuthority.length() - 4);
        }
        return authority.equals(hostAuthority);
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
}
