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
 * network error only the clicks that were not accepted are sent again, after the answer's Retry-After (else an
 * exponential backoff), with the same clientEventId, which makes the collector store each click once, at most
 * max-attempts times. When the page is hidden or left (pagehide, visibilitychange), whatever is queued goes at
 * once with navigator.sendBeacon, which the browser delivers even after the page is gone.
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
  // A beacon's body is limited (64 KiB in Chrome, for all pending beacons together); stay well below it.
  const maxBeaconBytes = 48 * 1024;
  const longestBackoffMs = 30000;

  let queue = [];       // {click, attempts, notBefore, settle}, oldest first
  let sending = 0;      // clicks in requests that have not answered yet
  let timer = null;

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
      const click = Object.assign({ page: location.pathname, sessionId: session }, fields);
      if (userId && !click.userId) {
        click.userId = userId;
      }
      click.clientEventId = click.clientEventId || randomId();
      click.clientTime = click.clientTime || new Date().toISOString();
      queue.push({ click, attempts: 0, notBefore: 0, settle });
      if (queue.filter(ready).length >= batchSize) {
        flush();
      } else {
        schedule(flushMs);
      }
    });
  }

  function ready(entry) {
    return entry.notBefore <= Date.now();
  }

  function schedule(delayMs) {
    if (timer === null && queue.length > 0) {
      timer = setTimeout(() => {
        timer = null;
        flush();
      }, delayMs);
    }
  }

  /** Sends every queued click that is not waiting for a retry; the others wait for their time. */
  function flush() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    const due = queue.filter(ready);
    queue = queue.filter(entry => !ready(entry));
    for (let i = 0; i < due.length; i += batchSize) {
      send(due.slice(i, i + batchSize));
    }
    if (queue.length > 0) {
      schedule(Math.max(0, Math.min(...queue.map(entry => entry.notBefore)) - Date.now()));
    }
  }

  async function send(batch) {
    batch.forEach(entry => entry.attempts++);
    sending += batch.length;
    let response = null;
    let answer = null;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        body: JSON.stringify(batch.map(entry => entry.click)),
        keepalive: true,
        credentials: "omit"
      });
      answer = await response.json().catch(() => null);
    } catch (e) {
      response = null; // a network error, a CORS refusal or an unload: the request may or may not have arrived
    } finally {
      sending -= batch.length;
    }
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
      retry(again, response, answer);
    } else if (response === null || response.status === 503 || response.status === 429) {
      retry(batch, response, answer);
    } else {
      // Any other answer without per-click results (400, 403, 413, ...): sending the same again cannot help.
      const error = (answer && answer.error) || "HTTP " + response.status;
      console.warn("clicklog.js: the collector refused " + batch.length + " click(s):", error);
      batch.forEach(entry => entry.settle({ status: "rejected", error, httpStatus: response.status }));
    }
  }

  function retry(entries, response, answer) {
    if (entries.length === 0) {
      return;
    }
    const retryAfterMs = 1000 * (Number(response && response.headers.get("Retry-After"))
      || (answer && answer.retryAfterSeconds) || 0);
    const giveUp = entries.filter(entry => entry.attempts >= maxAttempts);
    giveUp.forEach(entry => entry.settle({
      status: "failed",
      error: "not accepted after " + entry.attempts + " attempts (" + (response ? "HTTP " + response.status
        : "network error, or this page's origin is not allowed by the collector") + ")"
    }));
    const again = entries.filter(entry => entry.attempts < maxAttempts);
    // One time for the whole group, so that it goes again as one request; the jitter keeps many pages that got a
    // 503 at the same moment from all coming back at the same moment.
    const attempts = Math.max(0, ...again.map(entry => entry.attempts));
    const backoffMs = Math.min(longestBackoffMs, 1000 * 2 ** (attempts - 1));
    const notBefore = Date.now() + Math.max(retryAfterMs, backoffMs) * (1 + Math.random() * 0.2);
    again.forEach(entry => entry.notBefore = notBefore);
    queue = again.concat(queue); // ahead of newer clicks, so a user's clicks keep their order where they can
    if (again.length > 0 && timer === null) {
      schedule(Math.max(0, Math.min(...queue.map(entry => entry.notBefore)) - Date.now()));
    }
  }

  /** The page is going away (or may be, once hidden): everything queued leaves now, as beacons. */
  function leave() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    const entries = queue;
    queue = [];
    let chunk = [];
    let bytes = 2;
    const beacon = () => {
      if (chunk.length === 0) {
        return;
      }
      const batch = chunk;
      chunk = [];
      bytes = 2;
      // A string body is sent as text/plain: no preflight, which a beacon could not wait for anyway.
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, JSON.stringify(batch.map(entry => entry.click)))) {
        batch.forEach(entry => entry.settle({ status: "beaconed" }));
      } else {
        send(batch); // the browser refused the beacon (too much pending): try a keepalive fetch instead
      }
    };
    for (const entry of entries) {
      const size = JSON.stringify(entry.click).length + 1;
      if (chunk.length === batchSize || (chunk.length > 0 && bytes + size > maxBeaconBytes)) {
        beacon();
      }
      chunk.push(entry);
      bytes += size;
    }
    beacon();
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
    flush,
    sessionId: session,
    /** Clicks queued or in a request that has not answered yet. */
    pending: () => queue.length + sending
  });
})();
