import {request} from "node:http";
import {connect} from "node:net";
import {createRng, type Rng} from "../../src/lib/core/random.js";

/** One malformed (or not) request: method, path with query, headers, body. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzOutcome {
  /** HTTP status, or "closed" when the server closed the connection without one. */
  status: number | "closed";
  ms: number;
  /** Whether a body that was answered with a status was a JSON document. */
  json: boolean;
}

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"];
const NASTY = [
  "",
  "-1",
  "0",
  "1.5",
  "1e400",
  "NaN",
  "Infinity",
  "%00",
  "%ff%fe",
  "' OR 1=1",
  "../../etc/passwd",
  "x".repeat(3000),
  "\u{1F4A9}",
  "[]",
  "{}",
  "null"
];

/** A random string of printable (and some unprintable) characters. */
export function randomText(rng: Rng, max = 40): string {
  const n = rng.int(0, max);
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.bernoulli(0.9) ? rng.int(32, 126) : rng.int(0, 0xd7ff));
  return s;
}

export const randomValue = (rng: Rng) => (rng.bernoulli(0.5) ? rng.pick(NASTY) : randomText(rng));
export const randomMethod = (rng: Rng) => rng.pick(METHODS);

export function randomBytes(rng: Rng, max: number): Buffer {
  const bytes = Buffer.alloc(rng.int(0, max));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255);
  return bytes;
}

/** A query string of random keys and values, some of them the ones the server knows. */
export function randomQuery(rng: Rng, known: string[]): string {
  const params: string[] = [];
  for (let i = rng.int(0, 4); i > 0; i--) {
    const key = rng.bernoulli(0.7) ? rng.pick(known) : randomText(rng, 8);
    params.push(`${encodeURIComponent(key)}=${encodeURIComponent(randomValue(rng))}`);
  }
  return params.length ? `?${params.join("&")}` : "";
}

/** Sends one request over a fresh connection, with a deadline; never throws. */
export function send({
  port,
  req,
  timeoutMs = 5000
}: {
  port: number;
  req: FuzzRequest;
  timeoutMs?: number;
}): Promise<FuzzOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number | "closed", json = false) => {
      if (settled) return;
      settled = true;
      resolve({status, ms: performance.now() - t0, json});
    };
    let r: ReturnType<typeof request>;
    let answered: number | undefined;
    const headers = req.body ? {"content-length": String(req.body.length), ...req.headers} : req.headers;
    try {
      r = request({host: "127.0.0.1", port, method: req.method, path: req.path, headers, agent: false});
    } catch {
      // The client itself refuses some malformed requests (bad header characters): not sent.
      return done(0);
    }
    r.setTimeout(timeoutMs, () => (r.destroy(), done(-1)));
    r.on("response", (res) => {
      answered = res.statusCode;
      let text = "";
      res.setEncoding("utf-8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        let json = false;
        try {
          JSON.parse(text);
          json = true;
        } catch {}
        done(res.statusCode ?? 0, json);
      });
      res.on("error", () => done(res.statusCode ?? 0));
    });
    r.on("upgrade", (res, socket) => {
      socket.destroy();
      done(res.statusCode ?? 101);
    });
    // An error after the status line (the server closing as it answers) still counts the answer.
    r.on("error", () => done(answered ?? "closed"));
    r.end(req.body);
  });
}

/** Writes raw bytes (a truncated or garbage request) and waits for the server's answer or close. */
export function sendRaw({
  port,
  bytes,
  timeoutMs = 5000
}: {
  port: number;
  bytes: Buffer;
  timeoutMs?: number;
}): Promise<FuzzOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let settled = false;
    const done = (status: number | "closed") => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({status, ms: performance.now() - t0, json: false});
    };
    socket.setTimeout(timeoutMs, () => done(-1));
    socket.on("connect", () => {
      socket.write(bytes);
      // A truncated request is left hanging on purpose: the server must time it out or answer.
      setTimeout(() => socket.end(), 50);
    });
    socket.on("data", (c) => {
      text += c.toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (m) done(Number(m[1]));
    });
    socket.on("close", () => done("closed"));
    socket.on("error", () => done("closed"));
  });
}

/** A seeded generator for a test's fuzz pass. */
export const fuzzRng = (label: string) => createRng(`fuzz ${label}`);
