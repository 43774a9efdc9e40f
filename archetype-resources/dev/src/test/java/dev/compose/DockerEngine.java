package ${package}.dev.compose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Docker Engine API that docker compose talks to: {@code DOCKER_HOST} ({@code unix://} or {@code tcp://}), or
 * the default socket {@code /var/run/docker.sock}. Docker's own engine or podman's Docker-compatible service both
 * answer it. Used for two questions only, so that the test needs no docker CLI: is an engine there, and what
 * did a compose project leave behind.
 */
final class DockerEngine {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DEFAULT_SOCKET = "/var/run/docker.sock";

    private final String endpoint;

    private DockerEngine(String endpoint) {
        this.endpoint = endpoint;
    }

    /** The engine docker compose would use here, if one answers; otherwise why not. */
    static Optional<DockerEngine> find(StringBuilder whyNot) {
        String host = System.getenv("DOCKER_HOST");
        String endpoint = host != null && !host.isBlank() ? host : "unix://" + DEFAULT_SOCKET;
        if (endpoint.startsWith("unix://") && !Files.exists(Path.of(endpoint.substring("unix://".length())))) {
            whyNot.append("no Docker API: ").append(host == null ? "DOCKER_HOST is not set and " : "")
                    .append(endpoint.substring("unix://".length())).append(" does not exist");
            return Optional.empty();
        }
        DockerEngine engine = new DockerEngine(endpoint);
        try {
            String ping = engine.get("/_ping");
            if (ping.strip().equals("OK")) {
                return Optional.of(engine);
            }
            whyNot.append("the Docker API at ").append(endpoint).append(" answered /_ping with '").append(ping).append("'");
        } catch (IOException e) {
            whyNot.append("no Docker API answers at ").append(endpoint).append(" (").append(e.getMessage()).append(")");
        }
        return Optional.empty();
    }

    String endpoint() {
        return endpoint;
    }

    /** The engine's name and version, from /version: "Docker Engine - Community 27.3.1", "Podman Engine 4.3.1". */
    String describe() {
        try {
            JsonNode version = JSON.readTree(get("/version"));
            for (JsonNode component : version.path("Components")) {
                if (component.path("Name").asText().endsWith("Engine")) {
                    return component.path("Name").asText() + " " + component.path("Version").asText();
                }
            }
            return version.path("Platform").path("Name").asText("engine") + " " + version.path("Version").asText();
        } catch (IOException e) {
            return "version unknown: " + e.getMessage();
        }
    }

    boolean isPodman() {
        return describe().startsWith("Podman");
    }

    /** Containers (any state), networks and volumes carrying compose's label for {@code project}. */
    List<String> leftovers(String project) throws IOException {
        String filter = URLEncoder.encode("{\"label\":[\"com.docker.compose.project=" + project + "\"]}",
                StandardCharsets.UTF_8);
        List<String> left = new ArrayList<>();
        for (JsonNode container : JSON.readTree(get("/containers/json?all=true&filters=" + filter))) {
            left.add("container " + container.path("Names").path(0).asText(container.path("Id").asText()));
        }
        for (JsonNode network : JSON.readTree(get("/networks?filters=" + filter))) {
            left.add("network " + network.path("Name").asText());
        }
        for (JsonNode volume : JSON.readTree(get("/volumes?filters=" + filter)).path("Volumes")) {
            left.add("volume " + volume.path("Name").asText());
        }
        return left;
    }

    /** Whether a network of this name exists (the broker's network has a fixed name, not a project prefix). */
    boolean networkExists(String name) throws IOException {
        for (JsonNode network : JSON.readTree(get("/networks"))) {
            if (network.path("Name").asText().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** A GET over HTTP/1.0 (no chunking, the server closes when done); the body of a 200, or an exception. */
    private String get(String path) throws IOException {
        byte[] request = ("GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] response;
        if (endpoint.startsWith("unix://")) {
            try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(endpoint.substring(7)))) {
                channel.write(ByteBuffer.wrap(request));
                response = readAll(Channels.newInputStream(channel));
            }
        } else if (endpoint.startsWith("tcp://")) {
            URI uri = URI.create("http://" + endpoint.substring(6));
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 2375 : uri.getPort()), 5_000);
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                out.write(request);
                out.flush();
                response = readAll(socket.getInputStream());
            }
        } else {
            throw new IOException("DOCKER_HOST=" + endpoint + ": only unix:// and tcp:// are supported here");
        }
        String text = new String(response, StandardCharsets.UTF_8);
        int bodyStart = text.indexOf("\r\n\r\n");
        String status = text.lines().findFirst().orElse("");
        if (bodyStart < 0 || !status.matches("HTTP/1\\.[01] 200.*")) {
            throw new IOException("GET " + path + " -> " + (status.isEmpty() ? "no answer" : status));
        }
        return text.substring(bodyStart + 4);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        in.transferTo(buffer);
        return buffer.toByteArray();
    }
}
