package ${package}.loadtest.fault;

import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import ${package}.shared.InvalidClickException;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-based fuzzing of the click decoder ({@link ClickJson}), both ways a click is decoded:
 *
 * <ul>
 *   <li>the request path (what the web producer does with a body): {@code readTree} + {@code clickFromRequest};</li>
 *   <li>the record path (what the consumer does with a record value): {@code fromBytes}.</li>
 * </ul>
 * For every input: no exception other than {@link InvalidClickException} (a crash would be a 500, or a
 * consumer stuck on one record); nothing accepted that {@link ClickOracle} calls invalid; nothing valid
 * refused; and an accepted click survives the trip through the topic ({@code toBytes} then {@code fromBytes}
 * gives the same event), so the consumer stores exactly what the producer acknowledged.
 *
 * <p>Inputs come from {@link ClickInputs}, seeded: the seed is printed, and {@code -Dfuzz.seed=N} replays a run;
 * {@code -Dfuzz.inputs=N} sets how many inputs each path gets (default 10,000, a few seconds). A failure is
 * shrunk to a small input before it is reported.
 */
class ClickJsonFuzzTest {

    private static final int INPUTS = Integer.getInteger("fuzz.inputs", 10_000);
    private static final long SEED = Long.getLong("fuzz.seed", System.nanoTime());

    enum Outcome { ACCEPTED, REJECTED, CRASHED }

    /** What the decoder did with one input, and what is wrong with that (null if nothing). */
    record Trial(Outcome outcome, String problem) {
    }

    @Test
    void request_path_never_crashes_and_accepts_exactly_the_valid_clicks() {
        ClickInputs inputs = new ClickInputs(SEED);
        run("request path", inputs::requestBody, ClickJsonFuzzTest::tryRequest);
    }

    @Test
    void record_path_never_crashes_and_accepts_exactly_the_valid_records() {
        ClickInputs inputs = new ClickInputs(SEED + 1);
        run("record path", inputs::recordValue, ClickJsonFuzzTest::tryRecord);
    }

    /** Inputs that broke JSON decoders before; each must be handled like the random ones. */
    @Test
    void known_hostile_inputs_are_refused_without_a_crash() {
        List<byte[]> corpus = new ArrayList<>();
        String ok = "\"itemId\":\"movie-1\",\"userId\":\"u\"";
        corpus.add(("{" + ok + ",\"deep\":" + "[".repeat(20) + "]".repeat(20) + "}").getBytes(StandardCharsets.UTF_8));
        corpus.add("[".repeat(100_000).getBytes(StandardCharsets.UTF_8));
        corpus.add(("{" + ok + ",\"n\":1" + "0".repeat(5000) + "}").getBytes(StandardCharsets.UTF_8));
        corpus.add(("{" + ok + ",\"n\":1e999}").getBytes(StandardCharsets.UTF_8));
        corpus.add(("{" + ok + ",\"n\":-1e999}").getBytes(StandardCharsets.UTF_8));
        corpus.add(("{" + ok + ",\"" + "k".repeat(60_000) + "\":1}").getBytes(StandardCharsets.UTF_8));
        corpus.add(("{\"itemId\":\"" + "x".repeat(70_000) + "\",\"userId\":\"u\"}").getBytes(StandardCharsets.UTF_8));
        corpus.add(withBytes("{\"itemId\":\"", new byte[] {(byte) 0xC0, (byte) 0xAF}, "\",\"userId\":\"u\"}"));
        corpus.add(withBytes("{\"itemId\":\"", new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0x80}, "\",\"userId\":\"u\"}"));
        corpus.add(withBytes("{\"itemId\":\"", new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                "\",\"userId\":\"u\"}"));
        corpus.add(("{" + ok + "}").getBytes(StandardCharsets.UTF_16BE));
        corpus.add(("{" + ok + "}").getBytes(StandardCharsets.UTF_16));
        List<byte[]> records = List.of(
                ("{\"eventId\":\"1-2-3-4-5\",\"timestamp\":\"2024-04-01T12:00:00Z\"," + ok + "}")
                        .getBytes(StandardCharsets.UTF_8),
                ("{\"eventId\":\"0b6f6f3e-1c1a-4f53-9a55-0b8e1c3f2d10\",\"timestamp\":\"2024-04-01T12:00:00Z\","
                        + ok + ",\"n\":[1e999]}").getBytes(StandardCharsets.UTF_8));
        int crashes = 0;
        int acceptedInvalid = 0;
        List<String> problems = new ArrayList<>();
        List<Trial> trials = new ArrayList<>();
        corpus.forEach(input -> trials.add(tryRequest(input)));
        records.forEach(input -> trials.add(tryRecord(input)));
        corpus.addAll(records);
        for (int i = 0; i < corpus.size(); i++) {
            byte[] input = corpus.get(i);
            Trial trial = trials.get(i);
            if (trial.problem() != null) {
                problems.add(trial.problem() + " <- " + ClickOracle.show(input));
                crashes += trial.outcome() == Outcome.CRASHED ? 1 : 0;
                acceptedInvalid += trial.outcome() == Outcome.ACCEPTED ? 1 : 0;
            }
        }
        System.out.printf("ClickJsonFuzzTest hostile corpus: %d inputs, %d crashes, %d accepted although invalid%n",
                corpus.size(), crashes, acceptedInvalid);
        assertTrue(problems.isEmpty(), "the decoder mishandled hostile inputs:\n" + String.join("\n", problems));
    }

    private static void run(String path, java.util.function.Supplier<byte[]> inputs, Function<byte[], Trial> decode) {
        Map<Outcome, Integer> counts = new java.util.EnumMap<>(Outcome.class);
        int acceptedInvalid = 0;
        int rejectedValid = 0;
        int brokenTrips = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < INPUTS; i++) {
            byte[] input = inputs.get();
            Trial trial = decode.apply(input);
            counts.merge(trial.outcome(), 1, Integer::sum);
            if (trial.problem() == null) {
                continue;
            }
            if (trial.problem().startsWith("accepted although invalid")) {
                acceptedInvalid++;
            } else if (trial.problem().startsWith("rejected although valid")) {
                rejectedValid++;
            } else if (trial.problem().startsWith("round trip")) {
                brokenTrips++;
            }
            if (failures.size() < 3) {
                byte[] small = shrink(input, decode, trial.problem());
                failures.add(decode.apply(small).problem() + "\n    input: " + ClickOracle.show(small));
            }
        }
        System.out.printf("ClickJsonFuzzTest %s: seed %d, %d inputs: %d accepted, %d rejected, %d crashes,"
                        + " %d accepted although invalid, %d rejected although valid, %d broken round trips%n",
                path, SEED, INPUTS, counts.getOrDefault(Outcome.ACCEPTED, 0), counts.getOrDefault(Outcome.REJECTED, 0),
                counts.getOrDefault(Outcome.CRASHED, 0), acceptedInvalid, rejectedValid, brokenTrips);
        assertTrue(failures.isEmpty(), "the " + path + " mishandled inputs (replay with -Dfuzz.seed=" + SEED
                + "); the first ones, shrunk:\n" + String.join("\n", failures));
        assertTrue(counts.getOrDefault(Outcome.ACCEPTED, 0) > INPUTS / 10,
                "fewer than a tenth of the inputs were valid clicks: the generator no longer exercises acceptance");
    }

    static Trial tryRequest(byte[] body) {
        ClickOracle.Judgement judgement = ClickOracle.judgeRequest(body);
        ClickEvent click;
        try {
            JsonNode tree = ClickJson.readTree(body);
            click = ClickJson.clickFromRequest(tree, UUID.randomUUID(), Instant.parse("2024-04-01T12:00:00Z"));
        } catch (InvalidClickException e) {
            return judgement.verdict() == ClickOracle.Verdict.VALID
                    ? new Trial(Outcome.REJECTED, "rejected although valid: " + e.getMessage())
                    : new Trial(Outcome.REJECTED, null);
        } catch (Throwable e) {
            return new Trial(Outcome.CRASHED, "crash: " + e);
        }
        return judgeAccepted(click, judgement);
    }

    static Trial tryRecord(byte[] value) {
        ClickOracle.Judgement judgement = ClickOracle.judgeRecord(value);
        ClickEvent click;
        try {
            click = ClickJson.fromBytes(value);
        } catch (InvalidClickException e) {
            return judgement.verdict() == ClickOracle.Verdict.VALID
                    ? new Trial(Outcome.REJECTED, "rejected although valid: " + e.getMessage())
                    : new Trial(Outcome.REJECTED, null);
        } catch (Throwable e) {
            return new Trial(Outcome.CRASHED, "crash: " + e);
        }
        return judgeAccepted(click, judgement);
    }

    private static Trial judgeAccepted(ClickEvent click, ClickOracle.Judgement judgement) {
        if (judgement.verdict() == ClickOracle.Verdict.INVALID) {
            return new Trial(Outcome.ACCEPTED, "accepted although invalid (" + judgement.reason() + "): " + click);
        }
        for (String field : List.of("itemId", "userId", "sessionId", "page", "referrer")) {
            Object expected = judgement.click().get(field);
            String actual = switch (field) {
                case "itemId" -> click.itemId();
                case "userId" -> click.userId();
                case "sessionId" -> click.sessionId();
                case "page" -> click.page();
                default -> click.referrer();
            };
            Object normalized = expected == ClickOracle.NULL ? null : expected;
            if (!java.util.Objects.equals(normalized, actual)) {
                return new Trial(Outcome.ACCEPTED, "accepted with a changed " + field + ": sent " + normalized
                        + ", decoded " + actual);
            }
        }
        try {
            ClickEvent back = ClickJson.fromBytes(ClickJson.toBytes(click));
            if (!back.equals(click)) {
                return new Trial(Outcome.ACCEPTED, "round trip changed the click: " + click + " came back as " + back);
            }
        } catch (Throwable e) {
            return new Trial(Outcome.ACCEPTED, "round trip failed: " + e + " for " + click);
        }
        return new Trial(Outcome.ACCEPTED, null);
    }

    /** Removes ever smaller chunks while the same kind of problem remains: the smallest input that shows it. */
    private static byte[] shrink(byte[] input, Function<byte[], Trial> decode, String problem) {
        String kind = problem.substring(0, Math.min(problem.length(), 12));
        byte[] current = input;
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (int chunk = Math.max(1, current.length / 2); chunk >= 1 && System.nanoTime() < deadline; chunk /= 2) {
            for (int at = 0; at + chunk <= current.length && System.nanoTime() < deadline; ) {
                byte[] candidate = new byte[current.length - chunk];
                System.arraycopy(current, 0, candidate, 0, at);
                System.arraycopy(current, at + chunk, candidate, at, current.length - at - chunk);
                String p = decode.apply(candidate).problem();
                if (p != null && p.startsWith(kind)) {
                    current = candidate;
                } else {
                    at += chunk;
                }
            }
        }
        return current;
    }

    private static byte[] withBytes(String before, byte[] middle, String after) {
        byte[] a = before.getBytes(StandardCharsets.UTF_8);
        byte[] c = after.getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[a.length + middle.length + c.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(middle, 0, all, a.length, middle.length);
        System.arraycopy(c, 0, all, a.length + middle.length, c.length);
        return all;
    }
}
