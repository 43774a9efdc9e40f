/*
 * clicklog.js: sends a site's clicks to its click-log collector. No dependencies, no build step.
 *
 * On a site's pages, two lines:
 *
 *   <script src="https://clicks.example.com/clicklog.js" defer></script>
 *   <a href="/movies/603" data-clicklog-item="movie-603">The Matrix</a>
 *
 * Every click on an element with data-clicklog-item is tracked. From a page's own script:
 *
 *   clicklog.track({itemId: "movie-603", title: "The Matrix"}).then(result => ...);
 *
 * A click gets page (location.pathname), sessionId (a random id kept in localStorage; a data-user-id on the
 * script tag adds userId), clientEventId (crypto.randomUUID()) and clientTime, unless it has them already.
 * The promise resolves with {status: "accepted", eventId} once the collector answered, {status: "rejected",
 * error} for a click it refused as invalid, {status: "beaconed"} for a click sent while the page was being left
 * (a beacon has no answer) or {status: "failed", error} once every attempt failed or the queue was full.
 *
 * Delivery: clicks wait in a queue and go in batches, when batch-size of them are queued or flush-ms after the
 * first, with fetch(..., {keepalive: true}) as text/plain, which needs no CORS preflight. After a 503 or a
 * network error only the clicks that were not accepted are sent again, together, after the answer's Retry-After
 * (else an exponential backoff), with the same clientEventId, which makes the collector store each click once, at
 * most max-attempts times. When the page is hidden or left (pagehide, visibilitychange), whatever is queued goes
 * at once with navigator.sendBeacon, which the browser delivers even after the page is gone. Browsers refuse
 * keepalive requests and beacons past 64 KiB of bodies in flight per page: a backlog goes as far as that allows,
 * the rest as earlier requests answer.
 *
 * The invariant that keeps every click: a click taken is in exactly one place, the queue or one request in
 * flight, until its promise settles, and it settles once. pending() counts exactly those places.
 *
 * Options, as attributes of the script tag:
 *   data-endpoint      where clicks go; default /api/clicks on the server this script came from
 *   data-user-id       the signed-in user's id, if the page knows it
 *   data-batch-size    clicks per request, default 20
 *   data-flush-ms      longest wait before queued clicks are sent, default 1000
 *   data-max-attempts  sends of one click before it is given up, default 5
 *   data-max-queue     clicks queued at most (a page offline for long must not grow without bound), default 500
 */
(function () {
  "use strict";
  if (window.clicklog) {
    return; // the script was included twice
  }
  const script = document.currentScript;
  const option = (name, fallback) => (script && script.getAttribute("data-" + name)) || fallback;
  const number = (name, fallback) => {
    const value = Number(option(name, fallback));
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const endpoint = option("endpoint", new URL("/api/clicks", script ? script.src : location.href).href);
  const userId = option("user-id", null);
  const batchSize = number("batch-size", 20);
  const flushMs = number("flush-ms", 1000);
  const maxAttempts = number("max-attempts", 5);
  const maxQueue = number("max-queue", 500);
  // The Fetch standard (and Chrome) refuse a keepalive request or beacon once the page's keepalive bodies in flight
  // would pass 64 KiB; ours stay within 48 KiB, leaving room for the page's other scripts.
  const keepaliveBudget = 48 * 1024;
  const longestBackoffMs = 30000;
  // A request the network holds without an answer (fetch has no timeout of its own) is given up and sent again.
  const requestTimeoutMs = 30000;
  // A beacon has no answer: its bytes count as in flight for this long, which is plenty for one of at most 48 KiB.
  const beaconHoldMs = 10000;
  const encoder = new TextEncoder();

  let queue = [];          // {taken, click, bytes, attempts, notBefore, sendBy, group, settle}, oldest first
  let inFlight = 0;        // clicks in requests that have not answered yet
  let keepaliveBytes = 0;  // bodies of this script's keepalive fetches that have not answered yet
  let beacons = [];        // {bytes, until} of the beacons that may still be in flight
  let timer = null;
  let timerAt = Infinity;  // the deadline the timer is set for
  let groups = 0;          // retry groups so far: the clicks of one failed request go again as one request
  let taken = 0;           // clicks taken so far: their order in the queue

  // The queue's times are read from the monotonic clock: a wall clock set back or forward neither holds a retry
  // for hours nor sends it early. Every decision reads it once and judges every click by that one reading.
  const clock = () => performance.now();

  function randomId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    // crypto.randomUUID exists only in secure contexts (https, localhost): build a version 4 UUID by hand.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function sessionId() {
    const key = "clicklog.sessionId";
    try {
      let id = localStorage.getItem(key);
      if (!id) {
        id = randomId();
        localStorage.setItem(key, id);
      }
      return id;
    } catch (e) {
      return randomId(); // storage switched off: one session per page load
    }
  }
  const session = sessionId();

  function track(fields) {
    return new Promise(settle => {
      if (!fields || typeof fields.itemId !== "string" || fields.itemId === "") {
        console.warn("clicklog.js: a click needs an itemId (a non-empty string), got", fields);
        settle({ status: "rejected", error: "itemId is missing" });
        return;
      }
      if (queue.length >= maxQueue) {
        console.warn("clicklog.js: " + queue.length + " clicks are waiting already; this one is dropped");
        settle({ status: "failed", error: "the queue is full" });
        return;
      }
      const now = clock();
      const click = Object.assign({ page: location.pathname, sessionId: session }, fields);
      if (userId && !click.userId) {
        click.userId = userId;
      }
      click.clientEventId = click.clientEventId || randomId();
      click.clientTime = click.clientTime || new Date().toISOString();
      const bytes = encoder.encode(JSON.stringify(click)).length;
      queue.push({
        taken: ++taken, click, bytes, attempts: 0, notBefore: now, sendBy: now + flushMs, group: 0, settle
      });
      pump(now, false);
    });
  }

  /**
   * Sends the clicks whose time has come (notBefore) once a batch is full, a deadline has passed (sendBy) or the
   * caller says so, as far as the keepalive budget allows: the rest goes when an answer frees it. Then sets the timer
   * for the earliest deadline left.
   */
  function pump(now, force) {
    const due = queue.filter(entry => entry.notBefore <= now);
    if (due.length > 0 && (force || due.length >= batchSize || due.some(entry => entry.sendBy <= now))) {
      const sent = new Set();
      for (const batch of batches(due, keepaliveBudget)) {
        if (!send(batch, now)) {
          break; // the budget is spent: this batch and those after it wait for an answer, in their order
        }
        batch.forEach(entry => sent.add(entry));
      }
      queue = queue.filter(entry => !sent.has(entry));
    }
    setTimer(now);
  }

  /**
   * One timer for the earliest deadline ahead: a click's flush-ms, a retry's time, or, for clicks past their deadline
   * that wait for the keepalive budget with no request in flight to free it, the end of a beacon's hold.
   */
  function setTimer(now) {
    let deadline = Infinity;
    let waiting = false;
    for (const entry of queue) {
      if (entry.sendBy > now) {
        deadline = Math.min(deadline, entry.sendBy);
      } else {
        waiting = true;
      }
    }
    if (waiting && keepaliveBytes === 0 && keepaliveInFlight(now) > 0) {
      deadline = Math.min(deadline, Math.min(...beacons.map(beacon => beacon.until)));
    }
    if (deadline === timerAt) {
      return;
    }
    clearTimeout(timer);
    timer = null;
    timerAt = deadline;
    if (deadline !== Infinity) {
      // Rounded up, since browsers drop the fraction of a delay: a timer never fires before its deadline. And should
      // a clock read a little behind the timer, the timer's own deadline counts as the time it fired.
      timer = setTimeout(() => {
        timer = null;
        timerAt = Infinity;
        pump(Math.max(clock(), deadline), false);
      }, Math.ceil(deadline - now));
    }
  }

  /**
   * Requests of at most batch-size clicks and maxBytes, oldest clicks first. A retry group is never split: it came
   * from one request, so it fits in one, and it goes again as one.
   */
  function batches(entries, maxBytes) {
    const units = [];
    const groupUnits = new Map();
    for (const entry of entries) {
      if (entry.group === 0) {
        units.push([entry]);
      } else if (groupUnits.has(entry.group)) {
        groupUnits.get(entry.group).push(entry);
      } else {
        const unit = [entry];
        groupUnits.set(entry.group, unit);
        units.push(unit);
      }
    }
    const result = [];
    let batch = [];
    for (const unit of units) {
      if (batch.length > 0 && (batch.length + unit.length > batchSize
          || bodyBytes(batch) + bodyBytes(unit) - 1 > maxBytes)) {
        result.push(batch);
        batch = [];
      }
      batch.push(...unit);
    }
    if (batch.length > 0) {
      result.push(batch);
    }
    return result;
  }

  /** A batch's body in UTF-8 bytes: "[", the clicks with a comma between them, "]". */
  function bodyBytes(batch) {
    return batch.reduce((sum, entry) => sum + entry.bytes + 1, 1);
  }

  /** Bytes of this script's keepalive requests and beacons that may be in flight. */
  function keepaliveInFlight(now) {
    beacons = beacons.filter(beacon => beacon.until > now);
    return beacons.reduce((sum, beacon) => sum + beacon.bytes, keepaliveBytes);
  }

  /** Starts a request for the batch; false when its body does not fit in what is left of the keepalive budget. */
  function send(batch, now) {
    const bytes = bodyBytes(batch);
    // A body larger than the whole budget (one huge click) cannot be a keepalive request: it goes as a plain one.
    const keepalive = bytes <= keepaliveBudget;
    if (keepalive && keepaliveInFlight(now) + bytes > keepaliveBudget) {
      return false;
    }
    batch.forEach(entry => entry.attempts++);
    inFlight += batch.length;
    keepaliveBytes += keepalive ? bytes : 0;
    deliver(batch, keepalive ? bytes : 0);
    return true;
  }

  async function deliver(batch, keepaliveShare) {
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), requestTimeoutMs);
    let response = null;
    let answer = null;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        body: JSON.stringify(batch.map(entry => entry.click)),
        keepalive: keepaliveShare > 0,
        credentials: "omit",
        signal: abort.signal
      });
      answer = await response.json().catch(() => null);
    } catch (e) {
      response = null; // a network error, a CORS refusal, a timeout: the request may or may not have arrived
    } finally {
      clearTimeout(timeout);
    }
    // From here to the end nothing waits: the batch leaves the request and is settled or queued in one go.
    inFlight -= batch.length;
    keepaliveBytes -= keepaliveShare;
    const now = clock();
    const results = answer && Array.isArray(answer.results) && answer.results.length === batch.length
      ? answer.results : null;
    if (results) {
      const again = [];
      results.forEach((result, i) => {
        if (result.status === "accepted") {
          batch[i].settle({ status: "accepted", eventId: result.eventId, httpStatus: response.status });
        } else if (result.status === "rejected") {
          console.warn("clicklog.js: the collector refused a click:", result.error, batch[i].click);
          batch[i].settle({ status: "rejected", error: result.error, httpStatus: response.status });
        } else {
          again.push(batch[i]); // "failed": Kafka did not acknowledge it
        }
      });
      retry(again, response, answer, now);
    } else if (response === null || response.ok || response.status === 503 || response.status === 429) {
      // A 2xx whose answer could not be read is sent again too: the clientEventId keeps it from being stored twice.
      retry(batch, response, answer, now);
    } else {
      // Any other answer without per-click results (400, 403, 413, ...): sending the same again cannot help.
      const error = (answer && answer.error) || "HTTP " + response.status;
      console.warn("clicklog.js: the collector refused " + batch.length + " click(s):", error);
      batch.forEach(entry => entry.settle({ status: "rejected", error, httpStatus: response.status }));
    }
    pump(now, false); // the budget this request held may be what other clicks wait for
  }

  function retry(entries, response, answer, now) {
    const retryAfterMs = 1000 * (Number(response && response.headers.get("Retry-After"))
      || (answer && answer.retryAfterSeconds) || 0);
    const again = [];
    for (const entry of entries) {
      if (entry.attempts < maxAttempts) {
        again.push(entry);
      } else {
        entry.settle({
          status: "failed",
          error: "not accepted after " + entry.attempts + " attempts (" + (response ? "HTTP " + response.status
            : "network error, or this page's origin is not allowed by the collector") + ")"
        });
      }
    }
    if (again.length === 0) {
      return;
    }
    // One time for the whole group, so that it goes again as one request; the jitter keeps many pages that got a
    // 503 at the same moment from all coming back at the same moment.
    const attempts = Math.max(...again.map(entry => entry.attempts));
    const backoffMs = Math.min(longestBackoffMs, 1000 * 2 ** (attempts - 1));
    const notBefore = now + Math.max(retryAfterMs, backoffMs) * (1 + Math.random() * 0.2);
    const group = ++groups;
    for (const entry of again) {
      entry.notBefore = notBefore;
      entry.sendBy = notBefore;
      entry.group = group;
    }
    // Back in the order they were taken, ahead of newer clicks: a user's clicks keep their order where they can.
    queue = again.concat(queue).sort((a, b) => a.taken - b.taken);
  }

  /**
   * The page is going away (or may be, once hidden): everything queued leaves now as beacons, retries included, as
   * far as the keepalive budget allows. What does not fit stays queued and goes when answers free the budget, if
   * the page is still there.
   */
  function leave() {
    if (!navigator.sendBeacon) {
      pump(clock(), true);
      return;
    }
    const now = clock();
    let budget = keepaliveBudget - keepaliveInFlight(now);
    const beaconed = [];
    while (queue.length > 0) {
      // The last chance to send: each beacon as large as what is left of the budget allows.
      const batch = batches(queue, budget)[0];
      const bytes = bodyBytes(batch);
      // A string body is sent as text/plain: no preflight, which a beacon could not wait for anyway.
      if (bytes > budget || !navigator.sendBeacon(endpoint, JSON.stringify(batch.map(entry => entry.click)))) {
        break; // refused (the page's other beacons count too): the rest stays queued, in order
      }
      budget -= bytes;
      beacons.push({ bytes, until: now + beaconHoldMs });
      beaconed.push(...batch);
      queue = queue.filter(entry => !batch.includes(entry));
    }
    beaconed.forEach(entry => entry.settle({ status: "beaconed" }));
    for (const entry of queue) {
      if (entry.notBefore <= now) {
        entry.sendBy = Math.min(entry.sendBy, now); // meant to leave now: they go as soon as the budget allows
      }
    }
    setTimer(now);
  }

  addEventListener("pagehide", leave);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      leave();
    }
  });
  document.addEventListener("click", event => {
    const element = event.target instanceof Element ? event.target.closest("[data-clicklog-item]") : null;
    if (element) {
      track({ itemId: element.getAttribute("data-clicklog-item") });
    }
  });

  window.clicklog = Object.freeze({
    track,
    /** Sends every queued click whose time has come now, without waiting for flush-ms. */
    flush: () => pump(clock(), true),
    sessionId: session,
    /** Clicks queued or in a request that has not answered yet: each click taken and not settled, once. */
    pending: () => queue.length + inFlight
  });
})();
