import {createServer} from "node:http";
import type {AddressInfo} from "node:net";
import {WebSocketServer, type WebSocket} from "ws";
import {createRng} from "../core/random.js";
import {defaultMeterConfig, utilityProfiles, type EmissionPattern} from "./config.js";
import {generateFleet} from "./fleet.js";
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

/** The fleet's deliveries as one deterministic sequence: reading k is always the same reading. */
export function* feedSequence({
  meters,
  days,
  pattern,
  seed,
  start
}: {
  meters: number;
  days: number;
  pattern: EmissionPattern;
  seed: number;
  start: Date;
}): Generator<MeterReading> {
  const rng = createRng(seed);
  const fleet = generateFleet({rng: rng.fork("fleet"), meters, mix: utilityProfiles.default!});
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
    start = new Date("2024-06-02T18:30:00Z"),
    log = () => {}
  } = options;
  const http = createServer((_req, res) =>
    res.writeHead(426, {"content-type": "text/plain"}).end("WebSocket only: connect to /ami?token=…\n")
  );
  const wss = new WebSocketServer({noServer: true});
  http.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const given = url.searchParams.get("token") ?? /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    if (url.pathname !== "/ami") return void socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
    if (given !== token) {
      log(`feed: refused a client without the right token`);
      return void socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    }
    wss.handleUpgrade(req, socket, head, (ws) => stream(ws, Math.max(0, Number(url.searchParams.get("from") ?? 0))));
  });

  function stream(ws: WebSocket, from: number) {
    const sequence = feedSequence({meters, days, pattern, seed, start});
    let offset = 0;
    for (; offset < from; offset++) if (sequence.next().done) break;
    const intervalMs = (1000 * batchSize) / ratePerSecond;
    let due = performance.now();
    let stopped = false;
    ws.on("close", () => (stopped = true));
    const tick = () => {
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
      if (readings.length)
        ws.send(JSON.stringify({type: "batch", offset, generated_at_ms: Date.now(), readings} satisfies FeedBatch));
      offset += readings.length;
      if (done) {
        ws.send(JSON.stringify({type: "end", total: offset} satisfies FeedEnd));
        return;
      }
      // Keep the rate exact over time, whatever each send cost.
      due += intervalMs;
      setTimeout(tick, Math.max(0, due - performance.now()));
    };
    log(`feed: client connected, streaming from reading ${from} at ${ratePerSecond}/s`);
    tick();
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
