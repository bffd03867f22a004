import {createServer} from "node:http";
import type {AddressInfo} from "node:net";
import {WebSocketServer, type WebSocket} from "ws";
import {LabError} from "../core/errors.js";
import {createRng} from "../core/random.js";
import {secretsEqual} from "../core/secret.js";
import {defaultMeterConfig, utilityProfiles, type EmissionPattern} from "./config.js";
import {generateFleet, type Fleet} from "./fleet.js";
import {generateDeliveries, type MeterReading} from "./readings.js";

export interface AmiFeedOptions {
  host?: string;
  port?: number;
  /** Clients must present it (`?token=` or `Authorization: Bearer`); others get 401. */
  token: string;
  /** Readings per second sent to each client. */
  ratePerSecond: number;
  meters: number;
  days: number;
  pattern: EmissionPattern;
  seed: number;
  /** Readings per message. */
  batchSize?: number;
  start?: Date;
  log?: (line: string) => void;
}

/** One message of the stream: consecutive readings from `offset`, stamped when sent. */
export interface FeedBatch {
  type: "batch";
  offset: number;
  generated_at_ms: number;
  readings: (Omit<MeterReading, "reading_ts"> & {reading_ts: string})[];
}

export interface FeedEnd {
  type: "end";
  total: number;
}

/** The feed's fleet (the same for every client: forks are derived from the seed and a label). */
export function fleetFor({meters, seed}: {meters: number; seed: number}): Fleet {
  return generateFleet({rng: createRng(seed).fork("fleet"), meters, mix: utilityProfiles.default!});
}

/** The fleet's deliveries as one deterministic sequence: reading k is always the same reading. */
export function* feedSequence({
  meters,
  days,
  pattern,
  seed,
  start,
  fleet = fleetFor({meters, seed})
}: {
  meters: number;
  days: number;
  pattern: EmissionPattern;
  seed: number;
  start: Date;
  /** The fleet of `fleetFor({meters, seed})`, when the caller already has it. */
  fleet?: Fleet;
}): Generator<MeterReading> {
  const rng = createRng(seed);
  for (const batch of generateDeliveries({
    rng: rng.fork("readings"),
    fleet,
    start,
    days,
    pattern,
    config: defaultMeterConfig
  })) {
    // Deliveries in interval order; the stream replays the head end's view of one day.
    for (const d of batch) yield d.reading;
  }
}

/** Where the feed's sequence starts unless told otherwise (`lab feed ami --start`). */
export const DEFAULT_FEED_START = new Date("2024-06-02T18:30:00Z");

/**
 * `--start`: `now` (the current interval, so readings carry today's time), or an ISO date-time;
 * undefined for anything else. Starts fall on an interval boundary, as meter readings do.
 */
export function parseFeedStart({
  text,
  now = Date.now(),
  intervalMinutes = defaultMeterConfig.intervalMinutes
}: {
  text: string;
  now?: number;
  intervalMinutes?: number;
}): Date | undefined {
  const ms =
    text === "now" ? now : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) return undefined;
  const step = intervalMinutes * 60_000;
  return new Date(Math.floor(ms / step) * step);
}

/** How long a resuming client may hold the event loop while skipping to its offset, per turn. */
const SKIP_SLICE_MS = 4;

/** `?from=`: a non-negative integer (digits only), or a reason it is not. */
export function parseFrom(text: string | null): {ok: true; from: number} | {ok: false; reason: string} {
  if (text === null) return {ok: true, from: 0};
  const from = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(from))
    return {ok: false, reason: `from must be a reading offset (a non-negative integer), got "${text.slice(0, 40)}"`};
  return {ok: true, from};
}

/**
 * `lab feed ami`: a WebSocket server on 127.0.0.1 streaming the simulated fleet's readings at a
 * set rate, in batches. A client may resume: `?from=N` starts at reading N of the (deterministic)
 * sequence. Every batch carries its first offset and the time it was sent, for latency.
 */
export async function startAmiFeed(options: AmiFeedOptions): Promise<{url: string; close(): Promise<void>}> {
  const {
    token,
    ratePerSecond,
    meters,
    days,
    pattern,
    seed,
    batchSize = 100,
    start = DEFAULT_FEED_START,
    log = () => {}
  } = options;
  if (!token) throw new LabError({reason: "the AMI feed needs a token", hint: "set $LAB_AMI_TOKEN or --token-file"});
  // Generated once for all clients (it is the costliest single step of the sequence).
  const fleet = fleetFor({meters, seed});
  // Known once some client has read to the end: later resumes past it end at once.
  let total: number | undefined;
  // Resuming clients skip in turns, one slice per event-loop turn between them all, so however
  // many resume at once, other clients wait at most one slice (SKIP_SLICE_MS, or the generation
  // of one interval's deliveries when the slice crosses into a new one).
  const skippers: (() => boolean)[] = [];
  const runSkippers = () => {
    const slice = skippers.shift();
    if (!slice) return;
    if (!slice()) skippers.push(slice);
    setImmediate(runSkippers);
  };
  const enqueueSkip = (slice: () => boolean) => {
    if (skippers.push(slice) === 1) setImmediate(runSkippers);
  };
  const refuse = (socket: {end(text: string): void}, status: string, body?: object) => {
    const text = body ? JSON.stringify(body) : "";
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`
    );
  };
  const http = createServer((_req, res) =>
    res.writeHead(426, {"content-type": "text/plain"}).end("WebSocket only: connect to /ami?token=…\n")
  );
  const wss = new WebSocketServer({noServer: true});
  wss.on("error", (error) => log(`feed: ${error.message}`));
  http.on("upgrade", (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://127.0.0.1");
    } catch {
      return refuse(socket, "400 Bad Request", {error: "malformed request URL"});
    }
    const given = url.searchParams.get("token") ?? /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    if (url.pathname !== "/ami") return refuse(socket, "404 Not Found", {error: "the feed is at /ami"});
    if (given === undefined || !secretsEqual({given, expected: token})) {
      log(`feed: refused a client without the right token`);
      return refuse(socket, "401 Unauthorized");
    }
    const from = parseFrom(url.searchParams.get("from"));
    if (!from.ok) return refuse(socket, "400 Bad Request", {error: from.reason});
    wss.handleUpgrade(req, socket, head, (ws) => stream(ws, from.from));
  });

  function stream(ws: WebSocket, from: number) {
    const sequence = feedSequence({meters, days, pattern, seed, start, fleet});
    let offset = 0;
    const intervalMs = (1000 * batchSize) / ratePerSecond;
    let due = 0;
    let stopped = false;
    ws.on("close", () => (stopped = true));
    ws.on("error", () => (stopped = true));
    const send = (message: FeedBatch | FeedEnd) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    // A failure serving one client closes that client, never the feed.
    const guard = (step: () => void) => () => {
      try {
        step();
      } catch (error) {
        stopped = true;
        log(`feed: stream failed: ${(error as Error).message}`);
        ws.close(1011, "internal error");
      }
    };
    // One slice of skipping to `from`; true when done (streaming, ended, closed or failed).
    const skipSlice = (): boolean => {
      let finished = true;
      guard(() => {
        if (stopped) return;
        if (total !== undefined && from >= total) return send({type: "end", total});
        const until = performance.now() + SKIP_SLICE_MS;
        while (offset < from) {
          if (sequence.next().done) {
            total = offset;
            return send({type: "end", total});
          }
          offset++;
          if ((offset & 255) === 0 && performance.now() > until) return void (finished = false);
        }
        due = performance.now();
        log(`feed: client connected, streaming from reading ${from} at ${ratePerSecond}/s`);
        tick();
      })();
      return finished;
    };
    const tick = guard(() => {
      if (stopped) return;
      const readings: FeedBatch["readings"] = [];
      let done = false;
      while (readings.length < batchSize) {
        const next = sequence.next();
        if (next.done) {
          done = true;
          break;
        }
        readings.push({...next.value, reading_ts: next.value.reading_ts.toISOString()});
      }
      if (readings.length) send({type: "batch", offset, generated_at_ms: Date.now(), readings});
      offset += readings.length;
      if (done) {
        total = offset;
        return send({type: "end", total: offset});
      }
      // Keep the rate exact over time, whatever each send cost.
      due += intervalMs;
      setTimeout(tick, Math.max(0, due - performance.now()));
    });
    if (from === 0) skipSlice();
    else enqueueSkip(skipSlice);
  }

  await new Promise<void>((resolve) => http.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const {port} = http.address() as AddressInfo;
  return {
    url: `ws://${options.host ?? "127.0.0.1"}:${port}/ami`,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
      })
  };
}
