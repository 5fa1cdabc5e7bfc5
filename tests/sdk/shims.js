"use strict";
// Browser shims that the official CometChat JS SDK (4.x UMD bundle) needs under Node.
// See /work/shared/reference/cometchat-sdk-wire.md section 9. Require this module
// BEFORE requiring "@cometchat/chat-sdk-javascript". It installs, per thread:
//   window, localStorage (with key()/length), sessionStorage-free navigator, document,
//   location, screen, matchMedia, a fetch wrapper (drops `referrer`, rewrites loopback
//   https -> http) and a WebSocket class over the `ws` package (rewrites loopback
//   wss -> ws, swallows `error` events), plus an unhandledRejection recorder.
// Everything the shims observe is kept in `probe` (exported, and as globalThis.__authloadProbe)
// so the driver can check the wire traffic. Headers are never recorded: they carry keys.

const WS = require("ws");

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

const probe = {
  fetches: [], // {method, url, host, path, status, envelope, errorCode, error}
  pending: new Set(), // requests in flight and response bodies still being read
  sockets: [], // ShimWebSocket instances, in creation order
  frames: [], // {dir: "out"|"in", socket, data (parsed JSON or raw string), at}
  closes: [], // {socket, code, reason}
  unhandled: [], // string descriptions of unhandled rejections
};

function isLoopback(url) {
  return LOOPBACK.has(url.hostname);
}

function rewriteScheme(raw, from, to) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.protocol === from && isLoopback(url)) {
    url.protocol = to;
    return url.toString();
  }
  return raw;
}

class MemoryStorage {
  constructor() {
    this._map = new Map();
  }
  get length() {
    return this._map.size;
  }
  key(i) {
    const keys = Array.from(this._map.keys());
    return i >= 0 && i < keys.length ? keys[i] : null;
  }
  getItem(k) {
    return this._map.has(String(k)) ? this._map.get(String(k)) : null;
  }
  setItem(k, v) {
    this._map.set(String(k), String(v));
  }
  removeItem(k) {
    this._map.delete(String(k));
  }
  clear() {
    this._map.clear();
  }
}

function installDom() {
  globalThis.window = globalThis;
  globalThis.localStorage = new MemoryStorage();
  Object.defineProperty(globalThis, "navigator", {
    value: { userAgent: "authload-sdk-conformance (Node " + process.version + ")", language: "en-US" },
    configurable: true,
    writable: true,
  });
  globalThis.location = {
    hostname: "localhost",
    origin: "http://localhost",
    href: "http://localhost/",
    protocol: "http:",
    host: "localhost",
  };
  globalThis.document = {
    querySelector: () => null,
    querySelectorAll: () => [],
    getElementsByTagName: () => [],
    addEventListener: () => {},
    removeEventListener: () => {},
    hidden: false,
    visibilityState: "visible",
    referrer: "",
  };
  globalThis.screen = { width: 0, height: 0 };
  globalThis.matchMedia = () => ({ matches: false, addListener() {}, removeListener() {} });
  globalThis.addEventListener = globalThis.addEventListener || (() => {});
  globalThis.removeEventListener = globalThis.removeEventListener || (() => {});
}

function classifyBody(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return { envelope: "non-json" };
  }
  if (body && typeof body === "object" && "data" in body) return { envelope: "data", data: body.data };
  if (body && typeof body === "object" && body.error) {
    return { envelope: "error", errorCode: body.error.code };
  }
  return { envelope: "other" };
}

function recordResponse(entry, res) {
  entry.status = res.status;
  const reading = res
    .clone()
    .text()
    .then((text) => {
      const c = classifyBody(text);
      entry.envelope = c.envelope;
      if (c.errorCode !== undefined) entry.errorCode = c.errorCode;
      if (c.data && typeof c.data === "object" && !Array.isArray(c.data)) {
        entry.dataKeys = Object.keys(c.data).sort();
      }
    })
    .catch((e) => {
      entry.envelope = "unreadable";
      entry.error = String(e);
    })
    .finally(() => probe.pending.delete(reading));
  probe.pending.add(reading);
}

function installFetch() {
  const nativeFetch = globalThis.fetch;
  globalThis.__nativeFetch = nativeFetch;
  globalThis.fetch = function shimFetch(input, init) {
    const raw = typeof input === "string" ? input : input.url;
    const opts = Object.assign({}, init || {});
    delete opts.referrer; // undici rejects "no-referrer" as a URL without a base.
    opts.referrerPolicy = "no-referrer";
    const url = rewriteScheme(raw, "https:", "http:");
    const parsed = new URL(url);
    const entry = {
      method: (opts.method || "GET").toUpperCase(),
      host: parsed.host,
      path: parsed.pathname,
      requestedScheme: new URL(raw).protocol,
    };
    probe.fetches.push(entry);
    const request = nativeFetch(url, opts).then(
      (res) => {
        recordResponse(entry, res);
        return res;
      },
      (err) => {
        entry.envelope = "network-error";
        entry.error = String((err && err.cause) || err);
        throw err;
      },
    );
    const inFlight = request.catch(() => {}).finally(() => probe.pending.delete(inFlight));
    probe.pending.add(inFlight);
    return request;
  };
}

function parseFrame(data) {
  const text = typeof data === "string" ? data : Buffer.from(data).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

class ShimWebSocket extends WS.WebSocket {
  constructor(address, protocols, options) {
    const url = rewriteScheme(String(address), "wss:", "ws:");
    super(url, protocols, options);
    this.requestedUrl = String(address);
    this.index = probe.sockets.length;
    probe.sockets.push(this);
    // The SDK never sets onerror; without a listener `ws` would throw on errors.
    this.on("error", (e) => {
      this.lastError = String(e);
    });
    this.on("message", (data) => {
      probe.frames.push({ dir: "in", socket: this.index, data: parseFrame(data), at: Date.now() });
    });
    this.on("close", (code, reason) => {
      probe.closes.push({ socket: this.index, code, reason: String(reason) });
    });
  }
  send(data, ...rest) {
    probe.frames.push({ dir: "out", socket: this.index, data: parseFrame(data), at: Date.now() });
    return super.send(data, ...rest);
  }
}

function installWebSocket() {
  globalThis.WebSocket = ShimWebSocket;
}

function installRejectionRecorder() {
  process.on("unhandledRejection", (reason) => {
    let text;
    try {
      if (reason instanceof Error) text = String(reason.stack || reason);
      else if (reason && typeof reason === "object") text = JSON.stringify(reason);
      else text = String(reason);
    } catch {
      text = String(reason);
    }
    probe.unhandled.push(text.slice(0, 500));
  });
}

/** Wait until every request seen by the fetch wrapper has completed and been classified. */
async function settleProbe() {
  while (probe.pending.size > 0) await Promise.allSettled(Array.from(probe.pending));
}

installDom();
installFetch();
installWebSocket();
installRejectionRecorder();
globalThis.__authloadProbe = probe;

module.exports = { probe, settleProbe, ShimWebSocket, MemoryStorage };
