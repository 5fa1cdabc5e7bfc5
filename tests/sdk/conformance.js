"use strict";
// Conformance driver: runs the official CometChat JS SDK (under Node, see shims.js) against a
// CometChat-compatible backend (the authload mock) and prints one JSON line per check:
//   {"check": "<name>", "ok": true|false, "detail": {...}}
// followed by {"traffic": {...}} (requests the SDK made, per thread) and {"done": true, "ok": ...}.
//
// Usage: node conformance.js --base-url http://127.0.0.1:PORT [--app-id ID] [--uid UID]
//          [--token-uid UID] [--workers N] [--step-timeout-ms MS] [--total-timeout-ms MS]
// Keys come from the environment (AUTHLOAD_AUTH_KEY, AUTHLOAD_REST_API_KEY) or from
// --auth-key / --rest-api-key; they are never printed. Exit code: 0 all checks passed,
// 1 some check failed, 2 bad usage, 3 total timeout.

const { Worker, isMainThread, parentPort, workerData } = require("node:worker_threads");

const SAMPLE_UIDS = ["cometchat-uid-1", "cometchat-uid-2", "cometchat-uid-3", "cometchat-uid-4", "cometchat-uid-5"];

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const opts = {
    baseUrl: process.env.AUTHLOAD_BASE_URL,
    appId: process.env.AUTHLOAD_APP_ID || "authload-mock",
    region: "eu",
    uid: "cometchat-uid-1",
    tokenUid: "cometchat-uid-2",
    workers: 5,
    stepTimeoutMs: 5000,
    totalTimeoutMs: 25000,
    userSessionsWaitMs: 7000,
    authKey: process.env.AUTHLOAD_AUTH_KEY,
    restApiKey: process.env.AUTHLOAD_REST_API_KEY,
  };
  const names = {
    "--base-url": ["baseUrl", String],
    "--app-id": ["appId", String],
    "--region": ["region", String],
    "--uid": ["uid", String],
    "--token-uid": ["tokenUid", String],
    "--workers": ["workers", Number],
    "--step-timeout-ms": ["stepTimeoutMs", Number],
    "--total-timeout-ms": ["totalTimeoutMs", Number],
    "--user-sessions-wait-ms": ["userSessionsWaitMs", Number],
    "--auth-key": ["authKey", String],
    "--rest-api-key": ["restApiKey", String],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const spec = names[argv[i]];
    if (!spec || i + 1 >= argv.length) throw new Error("unknown or incomplete option: " + argv[i]);
    opts[spec[0]] = spec[1](argv[i + 1]);
  }
  for (const need of ["baseUrl", "authKey", "restApiKey"]) {
    if (!opts[need]) throw new Error("missing " + need + " (see usage at the top of conformance.js)");
  }
  opts.baseUrl = opts.baseUrl.replace(/\/+$/, "");
  const url = new URL(opts.baseUrl);
  opts.mockHost = url.host; // "127.0.0.1:PORT"
  return opts;
}

// ---------------------------------------------------------------- helpers

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out after " + ms + " ms: " + what)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function waitFor(predicate, ms, stepMs = 20) {
  const end = Date.now() + ms;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() >= end) return undefined;
    await sleep(stepMs);
  }
}

function describeError(e) {
  if (e && typeof e === "object" && "code" in e) {
    return { code: e.code, name: e.name, message: e.message };
  }
  return { error: String((e && e.message) || e) };
}

function userSummary(user) {
  if (!user) return null;
  return {
    uid: user.getUid(),
    name: user.getName(),
    status: user.getStatus ? user.getStatus() : undefined,
    hasAuthToken: Boolean(user.getAuthToken && user.getAuthToken()),
  };
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function trafficCounts(fetches) {
  const counts = {};
  for (const f of fetches) {
    const path = f.path.replace(/\/users\/[^/]+\/auth_tokens.*/, "/users/{uid}/auth_tokens");
    const key = f.method + " " + path;
    counts[key] = (counts[key] || 0) + 1;
  }
  return counts;
}

function socketCounts(probe) {
  const inFrames = probe.frames.filter((f) => f.dir === "in" && f.data && typeof f.data === "object");
  const outFrames = probe.frames.filter((f) => f.dir === "out" && f.data && typeof f.data === "object");
  return {
    sockets: probe.sockets.length,
    authFramesSent: outFrames.filter((f) => f.data.type === "auth").length,
    authReplies200: inFrames.filter((f) => f.data.type === "auth" && f.data.body && f.data.body.code === "200").length,
    pingsSent: outFrames.filter((f) => f.data.action === "ping").length,
  };
}

function loadSdk() {
  const { probe, settleProbe } = require("./shims.js");
  const { CometChat } = require("@cometchat/chat-sdk-javascript");
  return { CometChat, probe, settleProbe };
}

function buildSettings(CometChat, opts) {
  const host = opts.mockHost + "/v3.0";
  return new CometChat.AppSettingsBuilder()
    .setRegion(opts.region)
    .subscribePresenceForAllUsers()
    .autoEstablishSocketConnection(true)
    .overrideAdminHost(host)
    .overrideClientHost(host)
    .build();
}

function authReply(probe, socketIndex) {
  return probe.frames.find(
    (f) =>
      f.dir === "in" &&
      (socketIndex === undefined || f.socket === socketIndex) &&
      f.data &&
      f.data.type === "auth" &&
      f.data.body,
  );
}

// Background calls the SDK makes on its own timers (analytics ping, telemetry): they may land
// inside any step, so per-step request lists leave them out.
const BACKGROUND = /\/(ping|user_sessions)$/;

function newRequests(probe, since) {
  return probe.fetches
    .slice(since)
    .filter((f) => !BACKGROUND.test(f.path))
    .map((f) => f.method + " " + f.path);
}

// ---------------------------------------------------------------- check runner

class Checks {
  constructor(stepTimeoutMs) {
    this.stepTimeoutMs = stepTimeoutMs;
    this.results = [];
  }

  record(check, ok, detail) {
    const result = { check, ok: Boolean(ok), detail: detail === undefined ? {} : detail };
    this.results.push(result);
    emit(result);
    return result.ok;
  }

  /** Run fn (returns {ok, detail}) bounded by the step timeout; a throw is a failed check. */
  async run(check, fn, timeoutMs = this.stepTimeoutMs) {
    try {
      const { ok, detail } = await withTimeout(Promise.resolve().then(fn), timeoutMs, check);
      return this.record(check, ok, detail);
    } catch (e) {
      return this.record(check, false, describeError(e));
    }
  }

  get allOk() {
    return this.results.every((r) => r.ok);
  }
}

// ---------------------------------------------------------------- main-thread scenario

class MainScenario {
  constructor(opts) {
    this.opts = opts;
    this.checks = new Checks(opts.stepTimeoutMs);
    Object.assign(this, loadSdk());
    this.events = [];
    this.loginResolvedAt = 0;
    this.authToken = undefined;
  }

  listen() {
    const events = this.events;
    const CometChat = this.CometChat;
    const stamp = (name) => () => events.push({ name, at: Date.now() });
    CometChat.addConnectionListener(
      "authload",
      new CometChat.ConnectionListener({
        onConnected: stamp("onConnected"),
        inConnecting: stamp("inConnecting"),
        onDisconnected: stamp("onDisconnected"),
      }),
    );
    CometChat.addLoginListener(
      "authload",
      new CometChat.LoginListener({
        loginSuccess: stamp("loginSuccess"),
        loginFailure: stamp("loginFailure"),
        logoutSuccess: stamp("logoutSuccess"),
      }),
    );
  }

  async init() {
    const ok = await this.CometChat.init(this.opts.appId, buildSettings(this.CometChat, this.opts));
    const requests = newRequests(this.probe, 0);
    return { ok: ok === true && requests.length === 0, detail: { resolved: ok, requests } };
  }

  async loginWithAuthKey() {
    const since = this.probe.fetches.length;
    const user = await this.CometChat.login(this.opts.uid, this.opts.authKey);
    this.loginResolvedAt = Date.now();
    await this.settleProbe();
    const requests = newRequests(this.probe, since);
    const expected = ["POST /v3.0/users/" + this.opts.uid + "/auth_tokens", "PUT /v3.0/me"];
    const summary = userSummary(user);
    const ok = summary.uid === this.opts.uid && summary.hasAuthToken && sameList(requests, expected);
    return { ok, detail: { user: summary, requests, expected } };
  }

  async getLoggedinUser() {
    const since = this.probe.fetches.length;
    const user = await this.CometChat.getLoggedinUser();
    const summary = userSummary(user);
    const requests = newRequests(this.probe, since);
    const ok = summary !== null && summary.uid === this.opts.uid && summary.hasAuthToken && requests.length === 0;
    return { ok, detail: { user: summary, requests } };
  }

  async websocketConnected() {
    const connected = await waitFor(() => this.events.find((e) => e.name === "onConnected"), 4000);
    const socket = this.probe.sockets[0];
    const detail = {
      onConnected: Boolean(connected),
      requestedUrl: socket ? socket.requestedUrl : null,
      expectedUrl: "wss://" + this.opts.mockHost,
      status: this.CometChat.getConnectionStatus(),
      events: this.events.map((e) => e.name),
    };
    const urlOk = socket && new URL(socket.requestedUrl).host === this.opts.mockHost;
    return { ok: Boolean(connected) && urlOk, detail };
  }

  async websocketAuth() {
    const reply = await waitFor(() => authReply(this.probe, 0), 4000);
    const sent = this.probe.frames.find((f) => f.dir === "out" && f.data && f.data.type === "auth");
    const body = reply ? reply.data.body : null;
    const detail = {
      authFrameSent: Boolean(sent),
      authFrameSender: sent ? sent.data.sender : null,
      authFrameHasJwt: Boolean(sent && sent.data.body && sent.data.body.auth),
      replyBody: body,
    };
    const ok = Boolean(sent) && sent.data.sender === this.opts.uid && body && body.code === "200" && body.status === "OK";
    return { ok, detail };
  }

  async websocketPingPong() {
    const socket = this.probe.sockets[0];
    const since = this.probe.frames.length;
    socket.send(JSON.stringify({ action: "ping", ack: "true" }));
    const pong = await waitFor(
      () => this.probe.frames.slice(since).find((f) => f.dir === "in" && f.data && f.data.action === "pong"),
      3000,
    );
    return { ok: Boolean(pong), detail: { pong: pong ? pong.data : null } };
  }

  async analyticsPing() {
    const ping = await waitFor(() => this.probe.fetches.find((f) => /\/ping$/.test(f.path)), 2000);
    if (!ping) return { ok: true, detail: { sent: false, note: "no ping sent (ANALYTICS_PING_DISABLED?)" } };
    await this.settleProbe();
    return { ok: ping.envelope === "data", detail: pingDetail(ping) };
  }

  async userSessions() {
    if (!this.loginResolvedAt) return { ok: false, detail: { error: "login(uid, authKey) did not succeed" } };
    const wait = Math.max(0, this.loginResolvedAt + this.opts.userSessionsWaitMs - Date.now());
    const post = await waitFor(
      () => this.probe.fetches.find((f) => f.method === "POST" && /\/user_sessions$/.test(f.path)),
      wait,
      50,
    );
    if (!post) return { ok: false, detail: { error: "SDK sent no POST user_sessions within wait" } };
    await this.settleProbe();
    return { ok: post.envelope === "data", detail: pingDetail(post) };
  }

  async logout(label) {
    const since = this.probe.fetches.length;
    const socketsBefore = this.probe.sockets.length;
    const result = await this.CometChat.logout();
    await this.settleProbe();
    const after = await this.CometChat.getLoggedinUser();
    const requests = newRequests(this.probe, since);
    const del = this.probe.fetches.slice(since).find((f) => f.method === "DELETE" && /\/me$/.test(f.path));
    const detail = { label, requests, deleteMe: del ? pingDetail(del) : null, userAfter: userSummary(after) };
    if (socketsBefore > 0) {
      const s = this.probe.sockets[socketsBefore - 1];
      const close = await waitFor(() => this.probe.closes.find((c) => c.socket === s.index), 2000);
      detail.socketClose = close || null;
    }
    const ok = result !== undefined && after === null && del && del.envelope === "data";
    return { ok: Boolean(ok), detail };
  }

  async restMintToken() {
    const url = this.opts.baseUrl + "/v3/users/" + encodeURIComponent(this.opts.tokenUid) + "/auth_tokens";
    const res = await globalThis.__nativeFetch(url, {
      method: "POST",
      headers: restHeaders(this.opts),
      body: JSON.stringify({ force: true }),
    });
    const body = await res.json();
    this.authToken = body && body.data && body.data.authToken;
    const ok = Boolean(this.authToken) && body.data.uid === this.opts.tokenUid;
    return { ok, detail: { status: res.status, dataKeys: body.data ? Object.keys(body.data).sort() : null } };
  }

  async loginWithToken(label) {
    if (!this.authToken) return { ok: false, detail: { label, error: "no token minted" } };
    const since = this.probe.fetches.length;
    const user = await this.CometChat.login(this.authToken);
    await this.settleProbe();
    const requests = newRequests(this.probe, since);
    const summary = userSummary(user);
    const ok = summary.uid === this.opts.tokenUid && sameList(requests, ["PUT /v3.0/me"]);
    return { ok, detail: { label, user: summary, requests, expected: ["PUT /v3.0/me"] } };
  }

  async restDeleteToken() {
    const url =
      this.opts.baseUrl +
      "/v3/users/" +
      encodeURIComponent(this.opts.tokenUid) +
      "/auth_tokens/" +
      encodeURIComponent(this.authToken || "none");
    const res = await globalThis.__nativeFetch(url, { method: "DELETE", headers: restHeaders(this.opts) });
    const body = await res.json();
    return { ok: Boolean(body && body.data), detail: { status: res.status, body } };
  }

  async expectLoginRejected(args, expectedCode) {
    const since = this.probe.fetches.length;
    let outcome;
    try {
      const user = await this.CometChat.login(...args);
      outcome = { resolved: userSummary(user) };
    } catch (e) {
      outcome = { rejected: describeError(e) };
    }
    await this.settleProbe();
    const after = await this.CometChat.getLoggedinUser();
    const detail = { expectedCode, outcome, requests: newRequests(this.probe, since), userAfter: userSummary(after) };
    const ok = outcome.rejected && outcome.rejected.code === expectedCode && after === null;
    return { ok: Boolean(ok), detail };
  }

  async recoversAfterErrors() {
    const user = await this.CometChat.login(this.opts.uid, this.opts.authKey);
    const summary = userSummary(user);
    return { ok: summary.uid === this.opts.uid, detail: { user: summary } };
  }

  finalChecks() {
    const c = this.checks;
    const bad = this.probe.fetches.filter((f) => f.envelope !== "data" && f.envelope !== "error");
    c.record("wire_envelopes", bad.length === 0, { requests: this.probe.fetches.length, bad });
    const offMock = this.probe.fetches.filter((f) => f.host !== this.opts.mockHost);
    c.record("requests_stay_on_mock", offMock.length === 0, {
      offMock: offMock.map((f) => f.method + " " + f.host + f.path),
    });
    c.record("no_unhandled_rejections", this.probe.unhandled.length === 0, { unhandled: this.probe.unhandled });
  }
}

function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function pingDetail(f) {
  return { request: f.method + " " + f.path, status: f.status, envelope: f.envelope, errorCode: f.errorCode };
}

function restHeaders(opts) {
  return { apikey: opts.restApiKey, "Content-Type": "application/json", Accept: "application/json" };
}

// ---------------------------------------------------------------- worker threads

function startWorkers(opts) {
  const runs = [];
  for (let i = 0; i < opts.workers; i++) {
    const uid = SAMPLE_UIDS[i % SAMPLE_UIDS.length];
    const worker = new Worker(__filename, { workerData: { opts, uid, index: i } });
    runs.push(
      new Promise((resolve) => {
        let done = false;
        const finish = (value) => {
          if (!done) {
            done = true;
            resolve(value);
            worker.terminate();
          }
        };
        worker.on("message", finish);
        worker.on("error", (e) => finish({ index: i, uid, ok: false, error: String(e) }));
        worker.on("exit", (code) => finish({ index: i, uid, ok: false, error: "worker exited " + code }));
      }),
    );
  }
  return Promise.all(runs);
}

async function workerStep(steps, name, fn, ms) {
  try {
    steps[name] = await withTimeout(Promise.resolve().then(fn), ms, name);
  } catch (e) {
    steps[name] = { failed: describeError(e) };
  }
  return steps[name];
}

async function workerMain({ opts, uid, index }) {
  const { CometChat, probe, settleProbe } = loadSdk();
  const steps = {};
  const t0 = Date.now();
  const ms = opts.stepTimeoutMs;
  await workerStep(steps, "init", () => CometChat.init(opts.appId, buildSettings(CometChat, opts)), ms);
  await workerStep(steps, "login", async () => userSummary(await CometChat.login(uid, opts.authKey)), ms);
  await workerStep(steps, "getLoggedinUser", async () => userSummary(await CometChat.getLoggedinUser()), ms);
  await workerStep(steps, "websocketAuth", async () => {
    const reply = await waitFor(() => authReply(probe), 4000);
    return reply ? reply.data.body : null;
  }, ms);
  await workerStep(steps, "logout", async () => {
    await CometChat.logout();
    return userSummary(await CometChat.getLoggedinUser());
  }, ms);
  await settleProbe();
  const ok =
    steps.init === true &&
    steps.login && steps.login.uid === uid &&
    steps.getLoggedinUser && steps.getLoggedinUser.uid === uid &&
    steps.websocketAuth && steps.websocketAuth.code === "200" &&
    steps.logout === null;
  const bad = probe.fetches.filter((f) => f.envelope !== "data");
  parentPort.postMessage({
    index,
    uid,
    ok: Boolean(ok) && bad.length === 0,
    elapsedMs: Date.now() - t0,
    steps,
    badRequests: bad,
    traffic: trafficCounts(probe.fetches),
    websocket: socketCounts(probe),
    unhandled: probe.unhandled,
  });
}

// ---------------------------------------------------------------- orchestration

async function runMain(opts) {
  const s = new MainScenario(opts);
  const c = s.checks;
  s.listen();
  await c.run("init", () => s.init());
  await c.run("login_uid_auth_key", () => s.loginWithAuthKey());
  await c.run("get_logged_in_user", () => s.getLoggedinUser());
  const workers = opts.workers > 0 ? startWorkers(opts) : Promise.resolve([]);
  await c.run("websocket_connected", () => s.websocketConnected());
  await c.run("websocket_auth", () => s.websocketAuth());
  await c.run("websocket_ping_pong", () => s.websocketPingPong());
  await c.run("analytics_ping", () => s.analyticsPing());
  await c.run("user_sessions", () => s.userSessions(), opts.userSessionsWaitMs + 2000);
  await c.run("logout", () => s.logout("after login(uid, authKey)"));
  await c.run("rest_mint_token", () => s.restMintToken());
  await c.run("login_auth_token", () => s.loginWithToken("first"));
  await c.run("logout_token_session", () => s.logout("after login(authToken)"));
  await c.run("token_valid_after_logout", () => s.loginWithToken("again after logout"));
  await c.run("logout_token_session_again", () => s.logout("after second login(authToken)"));
  await c.run("rest_delete_token", () => s.restDeleteToken());
  await c.run("deleted_token_rejected", () => s.expectLoginRejected([s.authToken], "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"));
  await c.run("bad_auth_key_rejected", () =>
    s.expectLoginRejected([opts.uid, "0".repeat(40)], "AUTH_ERR_APIKEY_NOT_FOUND"),
  );
  await c.run("unknown_uid_rejected", () =>
    s.expectLoginRejected(["authload-no-such-user", opts.authKey], "ERR_UID_NOT_FOUND"),
  );
  await c.run("recovers_after_errors", () => s.recoversAfterErrors());
  await c.run("logout_final", () => s.logout("final"));
  const results = await withTimeout(workers, opts.stepTimeoutMs * 3, "workers").catch((e) => [
    { ok: false, error: String(e) },
  ]);
  c.record("parallel_sdk_instances", results.length === opts.workers && results.every((r) => r.ok), {
    workers: results,
  });
  await s.settleProbe();
  s.finalChecks();
  emit({
    traffic: {
      main: trafficCounts(s.probe.fetches),
      workers: results.map((r) => r.traffic || {}),
      websocket: { main: socketCounts(s.probe), workers: results.map((r) => r.websocket || {}) },
    },
  });
  return c.allOk;
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(String(e.message) + "\n");
    process.exit(2);
  }
  const started = Date.now();
  setTimeout(() => {
    emit({ check: "driver_total_timeout", ok: false, detail: { totalTimeoutMs: opts.totalTimeoutMs } });
    emit({ done: true, ok: false, elapsedMs: Date.now() - started });
    process.exit(3);
  }, opts.totalTimeoutMs);
  runMain(opts).then(
    (ok) => {
      emit({ done: true, ok, elapsedMs: Date.now() - started });
      process.exit(ok ? 0 : 1);
    },
    (e) => {
      emit({ check: "driver_crashed", ok: false, detail: describeError(e) });
      emit({ done: true, ok: false, elapsedMs: Date.now() - started });
      process.exit(1);
    },
  );
}

if (isMainThread) {
  main();
} else {
  workerMain(workerData).catch((e) => parentPort.postMessage({ ok: false, error: String(e) }));
}
