/*
 * The tracker's queue, run deterministically: the real clicklog.js in a page whose clock, timers, fetch, beacons and
 * events belong to this file. Nothing waits for real time, nothing goes over a network, so every case runs the same
 * way every time, and a case can move the clock between any two readings the script takes.
 *
 *   node tracker-queue.test.js path/to/clicklog.js
 *
 * Prints one JSON line per case, {"name", "ok", "failure", "log"}, and exits 1 if any failed. TrackerQueueTest runs
 * it in the web module's build; run by hand it also tests another copy of the script (an older one, say).
 *
 * After every step (a click tracked, an answer given, a timer fired, an event dispatched) the page checks what a
 * user of the tracker relies on:
 *   - each click's promise is settled at most once, and pending() equals the clicks not settled;
 *   - no click is sent after its promise settled, and no click is in two requests at once;
 *   - the clicks of a request that failed (a retry group) go again in one request;
 *   - the browser never has to refuse a keepalive request or a beacon: Chrome refuses them once the page's
 *     keepalive bodies in flight would pass 64 KiB.
 * The timers behave as a browser's do: a delay's fraction is dropped, and a timer set by a timer nested more than
 * five deep waits at least 4 ms (the HTML standard's clamp).
 */
"use strict";
const fs = require("fs");
const util = require("util");
const vm = require("vm");

const KEEPALIVE_QUOTA = 64 * 1024;
const BEACON_MS = 500; // how long the browser takes to deliver a beacon
const MAX_TIMERS_PER_STEP = 10000;
const SECOND = 1000;

class Violation extends Error {
}

/** The pages the running case made: each is checked for polling when the case ends. */
let pagesOfThisCase = [];
/** Clock readings from the 503 to the retry in the last run of retryAfter503 (it decides how many k to try). */
let retryReadings = 0;

/** A deterministic random source (xorshift), so jitter differs between retries but not between runs. */
function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/** One page load with the tracker script, everything it touches under the case's control. */
class Page {
  constructor(source, attributes, options = {}) {
    this.epoch = Date.UTC(2026, 11, 6, 12, 0, 0);
    this.time = 0;                // ms since the page loaded: performance.now(); Date.now() is epoch + time
    this.readings = 0;            // clock readings so far (Date.now, performance.now, new Date())
    this.tickAt = null;           // after this reading the clock moves on by tickMs
    this.tickMs = 1;
    this.timers = [];
    this.nextTimerId = 1;
    this.nesting = 0;             // nesting level of the timer being run (0 outside timers)
    this.requests = [];           // every fetch, in order
    this.beacons = [];            // every beacon sent
    this.refusals = [];           // keepalive requests and beacons the browser would refuse
    this.polls = [];              // delays of timers a browser runs at once
    this.clicks = new Map();      // clientEventId -> {item, settles, result, settledAtStep}
    this.groups = [];             // retry groups not sent yet: arrays of clientEventIds
    this.inFlight = new Map();    // clientEventId -> request in flight carrying it
    this.keepaliveInFlight = 0;   // bytes of keepalive fetch bodies in flight
    this.beaconsInFlight = [];    // {bytes, until} of beacons the browser has not delivered yet
    this.peakKeepalive = 0;
    this.log = [];
    this.steps = 0;
    this.online = true;
    this.listeners = { window: new Map(), document: new Map() };
    this.visibility = "visible";
    this.ids = 0;
    this.build(source, attributes, options);
    pagesOfThisCase.push(this);
  }

  build(source, attributes, options) {
    const page = this;
    const reading = value => {
      page.readings++;
      if (page.tickAt !== null && page.readings === page.tickAt) {
        page.time += page.tickMs;
        page.note("the clock moves on by " + page.tickMs + " ms after reading " + page.readings);
      }
      return value;
    };
    const NativeDate = Date;
    class PageDate extends NativeDate {
      constructor(...args) {
        if (args.length === 0) {
          super(reading(page.epoch + page.time));
        } else {
          super(...args);
        }
      }
      static now() {
        return reading(page.epoch + page.time);
      }
    }
    const on = target => (type, listener) => {
      const list = page.listeners[target].get(type) || [];
      list.push(listener);
      page.listeners[target].set(type, list);
    };
    const storage = new Map();
    const context = {
      console: {
        warn: (...args) => page.note("console.warn " + args.map(arg => typeof arg === "string" ? arg
          : util.inspect(arg, { breakLength: Infinity })).join(" ")),
        log: (...args) => page.note("console.log " + args.join(" ")),
        error: (...args) => page.note("console.error " + args.join(" "))
      },
      Date: PageDate,
      performance: { now: () => reading(page.time) },
      setTimeout: (callback, delay) => page.setTimer(callback, delay),
      clearTimeout: id => page.clearTimer(id),
      fetch: (url, init) => page.fetch(url, init),
      navigator: { sendBeacon: (url, data) => page.sendBeacon(url, data) },
      location: { pathname: "/movies", href: "https://www.example.com/movies" },
      localStorage: { getItem: key => storage.get(key) || null, setItem: (key, value) => storage.set(key, value) },
      crypto: {
        randomUUID: () => "click-" + String(++page.ids).padStart(4, "0"),
        getRandomValues: array => array.fill(7)
      },
      document: {
        currentScript: {
          src: "https://clicks.example.com/clicklog.js",
          getAttribute: name => name.startsWith("data-") && name.slice(5) in attributes
            ? String(attributes[name.slice(5)]) : null
        },
        addEventListener: on("document"),
        get visibilityState() {
          return page.visibility;
        }
      },
      addEventListener: on("window"),
      TextEncoder: util.TextEncoder,
      AbortController,
      URL,
      Element: class Element {
      }
    };
    context.window = context;
    vm.createContext(context);
    vm.runInContext("Math", context).random = random(options.seed || 42); // the page's own Math
    // Promises made by `new Promise` in the page count their settle calls: a click settled twice is seen at once.
    const PagePromise = vm.runInContext("Promise", context);
    const records = new WeakMap();
    class CountingPromise extends PagePromise {
      static get [Symbol.species]() {
        return PagePromise;
      }
      constructor(executor) {
        const record = { settles: 0, value: undefined };
        super((resolve, reject) => executor(value => {
          record.settles++;
          record.value = value;
          resolve(value);
        }, reject));
        records.set(this, record);
      }
    }
    context.Promise = CountingPromise;
    this.records = records;
    this.context = context;
    vm.runInContext(source, context, { filename: "clicklog.js" });
    this.tracker = context.window.clicklog; // what the script defines
    if (!this.tracker) {
      throw new Violation("the script did not define window.clicklog");
    }
  }

  note(line) {
    this.log.push("[" + this.time.toFixed(1) + " ms] " + line);
  }

  // ---- the browser's side ----------------------------------------------------------------------------------

  setTimer(callback, delay) {
    // WebIDL long: the fraction is dropped; negative or not a number is 0. Nested deeper than 5: at least 4 ms.
    let wait = Math.trunc(Number(delay)) || 0;
    wait = Math.max(0, wait);
    if (wait === 0) {
      // The tracker has nothing to do at once: a 0 ms timer means it polls the clock instead of waiting for a
      // deadline (a delay rounded down fires before its deadline, finds nothing due, and tries again).
      this.polls.push(delay);
    }
    const nesting = this.nesting + 1;
    if (nesting > 5 && wait < 4) {
      wait = 4;
    }
    const timer = { id: this.nextTimerId++, at: this.time + wait, callback, nesting };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(id) {
    this.timers = this.timers.filter(timer => timer.id !== id);
  }

  fetch(url, init) {
    const body = String(init.body);
    const bytes = Buffer.byteLength(body, "utf8");
    const ids = JSON.parse(body).map(click => click.clientEventId);
    const request = { n: this.requests.length + 1, at: this.time, ids, bytes, keepalive: !!init.keepalive, url };
    this.requests.push(request);
    this.note("POST #" + request.n + " " + ids.length + " clicks, " + bytes + " bytes" + (init.keepalive
      ? ", keepalive (" + this.keepaliveInFlight + " bytes in flight before)" : ""));
    this.checkSent(ids, "POST #" + request.n);
    if (init.keepalive && this.quotaUsed() + bytes > KEEPALIVE_QUOTA) {
      this.refusals.push("POST #" + request.n + " (" + bytes + " bytes with " + this.quotaUsed() + " in flight)");
      request.outcome = "refused by the browser";
      return Promise.reject(new TypeError("Failed to fetch"));
    }
    if (!this.online) {
      request.outcome = "network error (offline)";
      this.failedGroup(ids);
      return Promise.reject(new TypeError("Failed to fetch"));
    }
    ids.forEach(id => this.inFlight.set(id, request));
    if (request.keepalive) {
      this.keepaliveInFlight += bytes;
      this.peakKeepalive = Math.max(this.peakKeepalive, this.quotaUsed());
    }
    return new Promise((resolve, reject) => {
      request.finish = () => {
        ids.forEach(id => this.inFlight.delete(id));
        if (request.keepalive) {
          this.keepaliveInFlight -= bytes;
        }
        request.finish = () => {
          throw new Violation("POST #" + request.n + " answered twice (a bug of this test)");
        };
      };
      request.resolve = resolve;
      request.reject = reject;
      if (init.signal) {
        init.signal.addEventListener("abort", () => {
          if (request.outcome === undefined) {
            request.outcome = "aborted by the script";
            request.finish();
            this.failedGroup(ids);
            reject(new (vm.runInContext("Error", this.context))("The user aborted a request."));
          }
        });
      }
    });
  }

  sendBeacon(url, data) {
    const body = String(data);
    const bytes = Buffer.byteLength(body, "utf8");
    const ids = JSON.parse(body).map(click => click.clientEventId);
    if (this.quotaUsed() + bytes > KEEPALIVE_QUOTA) {
      this.refusals.push("a beacon (" + bytes + " bytes with " + this.quotaUsed() + " in flight)");
      this.note("beacon of " + ids.length + " clicks refused: " + bytes + " bytes, " + this.quotaUsed()
        + " in flight");
      return false;
    }
    this.checkSent(ids, "a beacon");
    this.beacons.push({ ids, bytes, at: this.time });
    this.beaconsInFlight.push({ bytes, until: this.time + BEACON_MS });
    this.peakKeepalive = Math.max(this.peakKeepalive, this.quotaUsed());
    this.note("beacon of " + ids.length + " clicks, " + bytes + " bytes");
    return true;
  }

  /** Keepalive bodies in flight, fetches and beacons: what Chrome's 64 KiB limit counts. */
  quotaUsed() {
    this.beaconsInFlight = this.beaconsInFlight.filter(beacon => beacon.until > this.time);
    return this.beaconsInFlight.reduce((sum, beacon) => sum + beacon.bytes, this.keepaliveInFlight);
  }

  /** What every send must respect: no settled click, no click in flight twice, a retry group whole. */
  checkSent(ids, what) {
    for (const id of ids) {
      const click = this.clicks.get(id);
      if (click && click.settles > 0) {
        throw new Violation(what + " carries " + id + ", whose promise settled already as "
          + JSON.stringify(click.result));
      }
      if (this.inFlight.has(id)) {
        throw new Violation(what + " carries " + id + ", which is in POST #" + this.inFlight.get(id).n
          + " still in flight");
      }
    }
    const sent = new Set(ids);
    this.groups = this.groups.filter(group => {
      const left = group.filter(id => this.clicks.get(id).settles === 0);
      const going = left.filter(id => sent.has(id));
      if (going.length > 0 && going.length < left.length) {
        throw new Violation(what + " carries " + going.length + " of the " + left.length + " clicks of a retry"
          + " group; left behind: " + left.filter(id => !sent.has(id)).join(", "));
      }
      return going.length === 0 && left.length > 0;
    });
  }

  /** The clicks of a request that failed (in part) must go again together: noted once the page has handled it. */
  failedGroup(ids) {
    this.pendingGroup = (this.pendingGroup || []).concat([ids]);
  }

  // ---- the case's side ---------------------------------------------------------------------------------------

  /** clicklog.track(fields), with the click's promise recorded. */
  async track(fields) {
    const promise = this.tracker.track(fields);
    const record = this.records.get(promise);
    if (!record) {
      throw new Violation("track() did not return a promise made with new Promise");
    }
    const id = "click-" + String(this.ids).padStart(4, "0");
    const click = { item: fields.itemId, record, get settles() {
      return record.settles;
    }, get result() {
      return record.value;
    } };
    this.clicks.set(fields.clientEventId || id, click);
    await this.step("track " + fields.itemId);
    return fields.clientEventId || id;
  }

  /** Answers a request in flight: status, JSON body and headers; or a network error with `status` null. */
  async answer(request, status, body, headers = {}) {
    if (!request.finish) {
      throw new Violation("POST #" + request.n + " is not in flight (" + (request.outcome || "answered") + ")");
    }
    request.finish();
    if (status === null) {
      request.outcome = "network error";
      this.failedGroup(request.ids);
      request.reject(new TypeError("Failed to fetch"));
    } else {
      request.outcome = "HTTP " + status;
      if (status === 503 || (body && Array.isArray(body.results)
          && body.results.some(result => result.status === "failed"))) {
        this.failedGroup(request.ids);
      }
      const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
      request.resolve({
        status,
        ok: status >= 200 && status < 300,
        headers: { get: name => lower[name.toLowerCase()] === undefined ? null : String(lower[name.toLowerCase()]) },
        json: async () => body
      });
    }
    await this.step("answer POST #" + request.n + ": " + request.outcome);
  }

  /** 202 with every click accepted. */
  accept(request) {
    return this.answer(request, 202, {
      accepted: request.ids.length,
      results: request.ids.map((id, i) => ({ status: "accepted", eventId: "event-" + request.n + "-" + i }))
    });
  }

  /** A 503 as the collector sends it: Retry-After, and retryAfterSeconds in the body. */
  busy(request, seconds) {
    return this.answer(request, 503, { error: "Kafka did not acknowledge", retryAfterSeconds: seconds },
      { "Retry-After": seconds });
  }

  /** Runs the timers due up to `ms` from now, one at a time, checking after each; then the clock is there. */
  async advance(ms) {
    await this.runTimersUntil(this.time + ms);
  }

  async runTimersUntil(end, stopWhen = () => false) {
    for (let fired = 0; ; fired++) {
      if (fired > MAX_TIMERS_PER_STEP) {
        throw new Violation("more than " + MAX_TIMERS_PER_STEP + " timers fired before " + end + " ms: the script"
          + " polls");
      }
      if (stopWhen()) {
        return;
      }
      const due = this.timers.filter(timer => timer.at <= end);
      if (due.length === 0) {
        break;
      }
      const timer = due.reduce((first, other) => other.at < first.at ? other : first);
      this.timers = this.timers.filter(other => other !== timer);
      this.time = Math.max(this.time, timer.at);
      this.nesting = timer.nesting;
      try {
        timer.callback();
      } finally {
        this.nesting = 0;
      }
      await this.step("timer #" + timer.id);
    }
    this.time = Math.max(this.time, end);
  }

  /** The page is left: pagehide (and the page hidden). */
  async pagehide() {
    this.visibility = "hidden";
    for (const listener of this.listeners.document.get("visibilitychange") || []) {
      listener({ type: "visibilitychange" });
    }
    for (const listener of this.listeners.window.get("pagehide") || []) {
      listener({ type: "pagehide", persisted: false });
    }
    await this.step("pagehide");
  }

  /** Lets the page's promises run, then checks the invariants. */
  async step(what) {
    this.steps++;
    for (let i = 0; i < 5; i++) {
      await new Promise(resolve => setImmediate(resolve));
    }
    if (this.pendingGroup) {
      for (const ids of this.pendingGroup) {
        const group = ids.filter(id => this.clicks.has(id) && this.clicks.get(id).settles === 0
          && !this.inFlight.has(id));
        if (group.length > 1) {
          this.groups.push(group);
        }
      }
      this.pendingGroup = null;
    }
    this.check(what);
  }

  check(what) {
    let unsettled = 0;
    for (const [id, click] of this.clicks) {
      if (click.settles > 1) {
        throw new Violation("after " + what + ": " + id + " settled " + click.settles + " times");
      }
      if (click.settles === 0) {
        unsettled++;
      }
    }
    const pending = this.tracker.pending();
    if (pending !== unsettled) {
      throw new Violation("after " + what + ": pending() is " + pending + " but " + unsettled + " clicks are not"
        + " settled: " + this.unsettled().map(id => id + (this.inFlight.has(id) ? " (in POST #"
          + this.inFlight.get(id).n + ")" : " (not in flight)")).join(", "));
    }
    if (this.refusals.length > 0) {
      throw new Violation("after " + what + ": the browser refused " + this.refusals.join("; ")
        + ": more than 64 KiB of keepalive bodies in flight");
    }
  }

  /** Checked when a case ends, so that a case shows first what polling led to (a click lost, say). */
  checkNoPolling() {
    if (this.polls.length > 0) {
      throw new Violation("the script set " + this.polls.length + " timers of less than 1 ms (" + this.polls[0]
        + " ms first), which a browser runs at once: it polls the clock instead of waiting for its deadline");
    }
  }

  // ---- what the cases look at --------------------------------------------------------------------------------

  inFlightRequests() {
    return this.requests.filter(request => request.finish && request.outcome === undefined);
  }

  settled(id) {
    return this.clicks.get(id).result;
  }

  unsettled() {
    return [...this.clicks].filter(([, click]) => click.settles === 0).map(([id]) => id);
  }
}

function expect(condition, message) {
  if (!condition) {
    throw new Violation(typeof message === "function" ? message() : message);
  }
}

function same(actual, expected, what) {
  expect(JSON.stringify(actual) === JSON.stringify(expected),
    () => what + ": expected " + JSON.stringify(expected) + ", got " + JSON.stringify(actual));
}

/** A click of about `size` bytes of JSON. */
function item(name, size = 0) {
  return size > 0 ? { itemId: name, title: "x".repeat(size) } : { itemId: name };
}

async function trackAll(page, count, prefix, size) {
  const ids = [];
  for (let i = 1; i <= count; i++) {
    ids.push(await page.track(item(prefix + "-" + i, size)));
  }
  return ids;
}

// ---- the cases -------------------------------------------------------------------------------------------------

/**
 * A 503 with Retry-After: 1, then success, with the clock moving on by 1 ms after the k-th clock reading from the
 * 503's answer to the retry's request (k = 0: not at all). Every click of the batch goes again in one request, not
 * before Retry-After, and is accepted once.
 */
async function retryAfter503(source, k) {
  const page = new Page(source, { "batch-size": 5, "flush-ms": 60000 }, { seed: 7 });
  const ids = await trackAll(page, 5, "busy");
  same(page.requests.length, 1, "requests once 5 clicks (batch-size 5) are queued");
  page.readings = 0;
  page.tickAt = k > 0 ? k : null;
  const answeredAt = page.time;
  await page.busy(page.requests[0], 1);
  await page.runTimersUntil(page.time + 10 * SECOND, () => page.requests.length > 1);
  page.tickAt = null;
  retryReadings = page.readings;
  same(page.requests.length, 2, "requests within 10 s of the 503");
  const retry = page.requests[1];
  same(retry.ids, ids, "the retry's clicks");
  expect(retry.at - answeredAt >= 1000, () => "the retry went " + (retry.at - answeredAt) + " ms after the 503;"
    + " Retry-After said 1 s");
  await page.accept(retry);
  ids.forEach(id => same(page.settled(id).status, "accepted", id));
  same(page.tracker.pending(), 0, "pending() at the end");
  return { readings: retryReadings };
}

/** Clicks tracked while a request is in flight wait for their own flush; answers in any order settle each once. */
async function clicksWhileInFlight(source) {
  const page = new Page(source, { "batch-size": 5, "flush-ms": 1000 }, { seed: 3 });
  const first = await trackAll(page, 5, "first");
  same(page.requests.length, 1, "requests after the first 5 clicks");
  const second = await trackAll(page, 3, "second");
  same(page.tracker.pending(), 8, "pending() with 5 in flight and 3 queued");
  await page.advance(1000);
  same(page.requests.length, 2, "requests after flush-ms");
  same(page.requests[1].ids, second, "the second request's clicks");
  await page.accept(page.requests[1]);
  second.forEach(id => same(page.settled(id).status, "accepted", id));
  // The first request fails in part: one click Kafka did not take goes again, the others are done.
  const third = await trackAll(page, 2, "third");
  await page.answer(page.requests[0], 503, {
    results: first.map((id, i) => i === 2 ? { status: "failed", error: "no ack" }
      : { status: "accepted", eventId: "e" + i })
  }, { "Retry-After": 1 });
  await page.advance(3 * SECOND);
  const resent = page.requests.filter(request => request.ids.includes(first[2]));
  same(resent.length, 2, "requests carrying the click that was not acknowledged");
  await Promise.all(page.inFlightRequests().map(request => page.accept(request)));
  [...first, ...second, ...third].forEach(id => same(page.settled(id).status, "accepted", id));
  same(page.requests.flatMap(request => request.ids).filter(id => id === first[0]).length, 1,
    "sends of a click that was accepted the first time");
}

/**
 * Two retry groups queued together (3 and 4 clicks, batch-size 5) leave as two beacons, never one group split over
 * two requests.
 */
async function retryGroupsStayWhole(source) {
  const page = new Page(source, { "batch-size": 5, "flush-ms": 60000 }, { seed: 19 });
  const first = await trackAll(page, 5, "a");
  const second = await trackAll(page, 5, "b");
  const results = (ids, failed) => ({
    results: ids.map((id, i) => i < failed ? { status: "failed", error: "no ack" }
      : { status: "accepted", eventId: id })
  });
  await page.answer(page.requests[0], 503, results(first, 3), { "Retry-After": 5 });
  await page.answer(page.requests[1], 503, results(second, 4), { "Retry-After": 5 });
  same(page.tracker.pending(), 7, "pending() with two retry groups queued");
  await page.pagehide();
  same(page.beacons.map(beacon => beacon.ids), [first.slice(0, 3), second.slice(0, 4)],
    "the clicks of each beacon (the older group first)");
  same(page.tracker.pending(), 0, "pending() after the page is left");
}

/** A retry due in 1 s does not wait behind a newer click's 60 s flush timer. */
async function retryBeforeFlushTimer(source) {
  const page = new Page(source, { "batch-size": 5, "flush-ms": 60000 }, { seed: 11 });
  const ids = await trackAll(page, 5, "early");
  const late = await page.track(item("late-1"));
  await page.busy(page.requests[0], 1);
  const answeredAt = page.time;
  await page.advance(2 * SECOND);
  const retry = page.requests.slice(1).find(request => request.ids.includes(ids[0]));
  expect(retry, "no retry 2 s after a 503 with Retry-After: 1 (flush-ms is 60 s)");
  expect(retry.at - answeredAt >= 1000 && retry.at - answeredAt <= 1200,
    () => "the retry went " + (retry.at - answeredAt) + " ms after the 503: Retry-After 1 s, jitter at most 20 %");
  expect(ids.every(id => retry.ids.includes(id)), "the retry carries the whole group");
  await page.accept(retry);
  await page.advance(60 * SECOND);
  page.inFlightRequests().forEach(request => expect(request.ids.includes(late), "only the late click is left"));
  await Promise.all(page.inFlightRequests().map(request => page.accept(request)));
  [...ids, late].forEach(id => same(page.settled(id).status, "accepted", id));
}

/** Network errors: sent max-attempts times with growing waits, then settled as failed, never sent again. */
async function networkErrorsUpToMaxAttempts(source) {
  const page = new Page(source, { "batch-size": 2, "flush-ms": 1000, "max-attempts": 3 }, { seed: 5 });
  const ids = await trackAll(page, 2, "offline");
  for (let attempt = 1; attempt <= 3; attempt++) {
    same(page.requests.length, attempt, "requests before attempt " + (attempt + 1));
    await page.answer(page.requests[attempt - 1], null);
    await page.advance(10 * SECOND);
  }
  same(page.requests.length, 3, "requests in all (max-attempts 3)");
  same(page.requests.map(request => request.ids), [ids, ids, ids], "the clicks of each attempt");
  const waits = [page.requests[1].at - page.requests[0].at, page.requests[2].at - page.requests[1].at];
  expect(waits[0] >= 1000 && waits[1] >= 2000, () => "waits between attempts " + waits + " ms: at least 1 s, 2 s");
  ids.forEach(id => same(page.settled(id).status, "failed", id));
  await page.advance(60 * SECOND);
  same(page.requests.length, 3, "requests a minute after the clicks were given up");
}

/** A request the network never answers is given up after 30 s and sent again; the late answer never comes. */
async function unansweredRequestTimesOut(source) {
  const page = new Page(source, { "batch-size": 3, "flush-ms": 1000 }, { seed: 9 });
  const ids = await trackAll(page, 3, "hung");
  await page.advance(40 * SECOND);
  expect(page.requests.length === 2, () => "requests 40 s after one that is never answered: "
    + page.requests.length + " (it should time out after 30 s and go again)");
  same(page.requests[1].ids, ids, "the second request's clicks");
  await page.accept(page.requests[1]);
  ids.forEach(id => same(page.settled(id).status, "accepted", id));
}

/**
 * A backlog past 64 KiB: the collector is slow (it answers after 2 s) while 300 clicks of about 300 bytes (about
 * 95 KB) are tracked within a second. Chrome would refuse keepalive requests past 64 KiB in flight; none is refused,
 * the rest goes as answers come, and every click is accepted once.
 */
async function backlogPast64KiB(source) {
  const page = new Page(source, { "batch-size": 20, "flush-ms": 1000 }, { seed: 13 });
  const ids = [];
  for (let i = 1; i <= 300; i++) {
    ids.push(await page.track(item("backlog-" + i, 250)));
    if (i % 20 === 0) {
      await page.advance(50);
    }
  }
  let rounds = 0;
  while (page.unsettled().length > 0) {
    expect(++rounds < 100, () => "still " + page.unsettled().length + " clicks unsettled after 100 rounds");
    await page.advance(2 * SECOND);
    for (const request of page.inFlightRequests()) {
      await page.accept(request);
    }
  }
  ids.forEach(id => same(page.settled(id).status, "accepted", id));
  return { peakKeepaliveBytes: page.peakKeepalive, requests: page.requests.length };
}

/**
 * pagehide with requests in flight: the queued clicks leave as beacons within what the requests in flight leave of
 * the keepalive limit, none of the clicks in flight is sent again, and their answers still settle them. Three
 * requests of about 17 KB and seven more clicks (15 KB) queued would pass 64 KiB together.
 */
async function pagehideWithRequestsInFlight(source) {
  const page = new Page(source, { "batch-size": 8, "flush-ms": 1000 }, { seed: 17 });
  const sent = await trackAll(page, 24, "sent", 2000);
  const queued = await trackAll(page, 7, "queued", 2000); // fewer than batch-size: they wait for the page to go
  const inFlightBefore = page.inFlightRequests().flatMap(request => request.ids);
  await page.pagehide();
  const beaconed = page.beacons.flatMap(beacon => beacon.ids);
  expect(beaconed.length > 0, "no click went by beacon: the 64 KiB limit has room for some");
  expect(beaconed.every(id => !inFlightBefore.includes(id)), "a click in flight went by beacon as well");
  beaconed.forEach(id => same(page.settled(id).status, "beaconed", id));
  // The page was hidden, not yet gone: the answers settle what was in flight and free the budget for the rest.
  let rounds = 0;
  while (page.unsettled().length > 0) {
    expect(++rounds < 20, () => "still " + page.unsettled().length + " clicks unsettled after 20 rounds");
    for (const request of page.inFlightRequests()) {
      await page.accept(request);
    }
    await page.advance(2 * SECOND);
  }
  inFlightBefore.forEach(id => same(page.settled(id).status, "accepted", id));
  [...sent, ...queued].forEach(id => expect(["beaconed", "accepted"].includes(page.settled(id).status),
    () => id + " settled as " + JSON.stringify(page.settled(id))));
  return { beaconed: beaconed.length, inFlightAtPagehide: inFlightBefore.length };
}

/**
 * A page hidden, then left (visibilitychange, then pagehide, as browsers send them) with 40 clicks of about 2 KB
 * queued: the beacons of both together stay within 64 KiB. The page is kept (the back/forward cache): what did not
 * fit goes once the beacons are through.
 */
async function hiddenThenLeft(source) {
  const page = new Page(source, { "batch-size": 50, "flush-ms": 60000 }, { seed: 23 });
  const ids = await trackAll(page, 40, "leaving", 2000);
  same(page.requests.length, 0, "requests before the page is hidden (batch-size 50, flush-ms 60 s)");
  await page.pagehide();
  expect(page.beacons.length > 0, "no beacon when the page was hidden");
  await page.advance(15 * SECOND);
  for (const request of page.inFlightRequests()) {
    await page.accept(request);
  }
  ids.forEach(id => expect(["beaconed", "accepted"].includes((page.settled(id) || {}).status),
    () => id + " settled as " + JSON.stringify(page.settled(id))));
  return { beaconed: page.beacons.flatMap(beacon => beacon.ids).length, fetched: page.requests.length };
}

async function run(name, body) {
  pagesOfThisCase = [];
  try {
    const detail = await body();
    pagesOfThisCase.forEach(page => page.checkNoPolling());
    return { name, ok: true, detail };
  } catch (e) {
    // What the page did before the failure (requests, beacons, the script's warnings), its last 40 lines.
    const log = pagesOfThisCase.flatMap(page => page.log).slice(-40);
    return { name, ok: false, failure: e instanceof Violation ? e.message : (e && e.stack) || String(e), log };
  }
}

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node tracker-queue.test.js path/to/clicklog.js");
    process.exit(2);
  }
  const source = fs.readFileSync(file, "utf8");
  const results = [];
  // How many times the clock is read from the retry's timer to the retry's request decides the k's to try.
  const dry = await run("503 then success, the clock still", () => retryAfter503(source, 0));
  results.push(dry);
  const readings = retryReadings;
  for (let k = 1; k <= readings; k++) {
    results.push(await run("503 then success, the clock moves on 1 ms after clock reading " + k + " of the "
      + readings + " from the 503 to the retry", () => retryAfter503(source, k)));
  }
  results.push(await run("clicks tracked while a request is in flight", () => clicksWhileInFlight(source)));
  results.push(await run("a retry due before the flush timer goes first", () => retryBeforeFlushTimer(source)));
  results.push(await run("two retry groups leave whole, each in one request", () => retryGroupsStayWhole(source)));
  results.push(await run("network errors up to max-attempts", () => networkErrorsUpToMaxAttempts(source)));
  results.push(await run("a request never answered times out and goes again", () => unansweredRequestTimesOut(source)));
  results.push(await run("a backlog past 64 KiB for a slow collector stays within the browser's keepalive limit",
    () => backlogPast64KiB(source)));
  results.push(await run("pagehide with requests in flight", () => pagehideWithRequestsInFlight(source)));
  results.push(await run("a page hidden, then left, stays within the keepalive limit", () => hiddenThenLeft(source)));
  for (const result of results) {
    console.log(JSON.stringify(result));
  }
  process.exit(results.every(result => result.ok) ? 0 : 1);
}

main();
