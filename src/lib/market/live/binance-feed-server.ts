import {createReadStream} from "node:fs";
import {createServer, type IncomingMessage, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {createInterface} from "node:readline";
import {createGunzip} from "node:zlib";
import {WebSocketServer, type WebSocket} from "ws";
import {LabError} from "../../core/errors.js";
import {createRng} from "../../core/random.js";
import {BinanceStreamer, type DepthSnapshot} from "../sim/binance-streamer.js";
import {defaultMarketConfig, type MarketConfig} from "../config.js";
import {marketSteps} from "../sim/simulator.js";
import {DepthSync, type DepthDiff, type DepthSnapshotText} from "./depth-sync.js";

export interface BinanceFeedOptions {
  /** The simulated market (default) … */
  seed?: number;
  config?: Partial<MarketConfig>;
  /** … or a recorded capture to serve instead (lab capture files, or `<local_ns> <json>` lines). */
  replay?: string;
  /** Simulated (or recorded) seconds per wall-clock second. */
  speed?: number;
  host?: string;
  port?: number;
  pingIntervalMs?: number;
  /**
   * "spot" (default), or "usdm": USD-M futures, whose depth stream is `<sym>@depth@0ms` with `pu`
   * (the previous message's u) in every diff, and whose REST depth is `/fapi/v1/depth`.
   */
  market?: "spot" | "usdm";
  /** Faults: share of depth messages lost (seeded), and a disconnect of every client every N s. */
  dropRate?: number;
  disconnectEverySeconds?: number;
  log?: (line: string) => void;
}

export interface BinanceFeed {
  /** http://127.0.0.1:PORT (REST) — the WebSocket streams are at ws://…/stream?streams=… */
  url: string;
  wsUrl: string;
  symbol: string;
  close(): Promise<void>;
  /** Faults on demand. */
  faults: {dropNext(n: number): void; disconnectAll(): void; staleSnapshotNext(): void};
  /** What was sent: messages, and the depth update ids dropped on purpose. */
  stats: {messages: number; dropped: number[]; disconnects: number};
  /** The live book behind REST (simulated mode): for tests comparing a capture with the truth. */
  depth(limit: number): DepthSnapshot;
}

interface Source {
  symbol: string;
  /** Runs the source up to `ms` of feed time, emitting messages in order. */
  runUntil(ms: number): Promise<boolean>;
  depth(limit: number): DepthSnapshot;
  nowMs(): number;
}

/** The simulated market, stepped against the clock. */
function simulatedSource({
  seed,
  config,
  emit,
  startMs
}: {
  seed: number;
  config: MarketConfig;
  emit: (stream: string, data: object) => void;
  startMs: number;
}): Source {
  const streamer = new BinanceStreamer({config, startMs, emit: (stream, data) => emit(stream, data)});
  const steps = marketSteps({rng: createRng(seed).fork("market"), config, seconds: Infinity, sink: streamer.sink});
  let t = 0;
  return {
    symbol: streamer.symbol,
    async runUntil(ms) {
      const target = (ms - startMs) * 1e6;
      while (t < target) t = steps.next().value as number;
      streamer.advance(target);
      return true;
    },
    depth: (limit) => streamer.depth(limit),
    nowMs: () => startMs + t / 1e6
  };
}

/**
 * A recorded capture: JSON Lines of `{local_ns, stream, data}` (and `{local_ns, type:
 * "snapshot", data}`) as `lab capture` writes them, or the `<local_ns> <json>` lines public
 * Binance captures are shared in (a snapshot line is a `{lastUpdateId, bids, asks}` object).
 * Timing follows local_ns. REST depth serves the book at the replay clock, as the exchange does:
 * the file's first usable snapshot (read ahead at start: recordings write it after the first
 * diffs) with every diff sent since applied by Binance's rules (`DepthSync`). Until the stream
 * reaches that snapshot's lastUpdateId the snapshot itself is served — newer than the stream, which
 * a client's sync accepts; after a gap in the recording, the latest snapshot line read until the
 * book resyncs from the next one.
 */
function replaySource({
  path,
  emit,
  startMs
}: {
  path: string;
  emit: (stream: string, data: object) => void;
  startMs: number;
}): Source {
  const input = path.endsWith(".gz") ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
  const lines = createInterface({input, crlfDelay: Infinity})[Symbol.asyncIterator]();
  let firstNs: number | undefined;
  type Line = {ns: number; stream?: string; data: Record<string, unknown>; snapshot: boolean};
  let pending: Line | undefined;
  let snapshot: DepthSnapshot = {lastUpdateId: 0, bids: [], asks: []};
  const book = new DepthSync();
  // Lines read ahead to the first snapshot, to be sent in their turn.
  const ahead: Line[] = [];
  let primed = false;
  let symbol = "";
  let lineNo = 0;
  let done = false;
  const parse = (line: string) => {
    lineNo++;
    const trimmed = line.trim();
    if (!trimmed) return undefined;
    let ns: number, obj: Record<string, unknown>;
    if (trimmed.startsWith("{")) {
      obj = JSON.parse(trimmed) as Record<string, unknown>;
      ns = Number(obj.local_ns);
    } else {
      const space = trimmed.indexOf(" ");
      ns = Number(trimmed.slice(0, space));
      obj = JSON.parse(trimmed.slice(space + 1)) as Record<string, unknown>;
    }
    if (!Number.isFinite(ns))
      throw new LabError({
        file: path,
        line: lineNo,
        reason: "no local time (expected a local_ns field or a `<local_ns> <json>` line)"
      });
    if (obj.type === "snapshot" || "lastUpdateId" in obj)
      return {ns, data: (obj.data ?? obj) as Record<string, unknown>, snapshot: true};
    // The capture's own records (connects, gaps, clock, regimes) are not exchange messages.
    if (typeof obj.type === "string") return undefined;
    const stream = String(obj.stream ?? "");
    const data = (obj.data ?? obj) as Record<string, unknown>;
    if (!symbol && typeof data.s === "string") symbol = data.s;
    return {ns, stream, data, snapshot: false};
  };
  const read = async (): Promise<Line | undefined> => {
    for (;;) {
      const next = await lines.next();
      if (next.done) return ((done = true), undefined);
      const line = parse(next.value);
      if (line) return line;
    }
  };
  // The first snapshot the stream continues from (not older than the first diff), within
  // READ_AHEAD lines: the book REST serves from the start.
  const prime = async () => {
    let firstU = NaN;
    while (ahead.length < READ_AHEAD) {
      const line = await read();
      if (!line) return;
      ahead.push(line);
      const u = line.data.U;
      if (!line.snapshot && typeof u === "number" && Number.isNaN(firstU)) firstU = u;
      const snap = line.data as unknown as DepthSnapshotText;
      if (line.snapshot && !(snap.lastUpdateId < firstU)) return book.snapshot(snap);
    }
  };
  return {
    get symbol() {
      return symbol;
    },
    async runUntil(ms) {
      if (!primed) ((primed = true), await prime());
      for (;;) {
        if (!pending) {
          pending = ahead.shift() ?? (done ? undefined : await read());
          if (!pending) return false;
          firstNs ??= pending.ns;
        }
        const at = startMs + (pending.ns - firstNs!) / 1e6;
        if (at > ms) return true;
        if (pending.snapshot) {
          snapshot = pending.data as unknown as DepthSnapshot;
          book.snapshot(pending.data as unknown as DepthSnapshotText);
        } else {
          // The exchange's book takes every diff, whether or not a fault then loses the message.
          if (pending.data.e === "depthUpdate") book.diff(pending.data as unknown as DepthDiff, 0);
          emit(pending.stream!, pending.data);
        }
        pending = undefined;
      }
    },
    depth: (limit) =>
      book.synced
        ? book.depth(limit)
        : {
            lastUpdateId: snapshot.lastUpdateId,
            bids: snapshot.bids.slice(0, limit),
            asks: snapshot.asks.slice(0, limit)
          },
    nowMs: () => Date.now()
  };
}

/**
 * USD-M futures' depth messages from the spot ones: `@depth@0ms`, and each diff names the previous
 * one's last update id (`pu`: the exchange's chain, whatever a fault then loses).
 */
function futuresDepth(): (stream: string, data: object) => [string, object] {
  let previousU = -1;
  return (stream, data) => {
    if (!stream.endsWith("@depth@100ms")) return [stream, data];
    const pu = previousU;
    previousU = (data as {u: number}).u;
    return [stream.replace(/@depth@100ms$/, "@depth@0ms"), {...data, pu}];
  };
}

/** Lines a replay reads ahead for its first snapshot, at most. */
const READ_AHEAD = 200_000;

/** Binance's own bound on a depth snapshot's levels. */
const MAX_DEPTH_LIMIT = 5000;
const MAX_STREAMS = 16;

/** `limit=` of /api/v3/depth: an integer 1…5000 (100 when absent), or a reason it is not. */
export function parseDepthLimit(text: string | null): {ok: true; limit: number} | {ok: false; reason: string} {
  if (text === null) return {ok: true, limit: 100};
  const limit = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= MAX_DEPTH_LIMIT))
    return {ok: false, reason: `limit must be an integer from 1 to ${MAX_DEPTH_LIMIT}, got "${text.slice(0, 40)}"`};
  return {ok: true, limit};
}

/** The streams a client asks for: this feed's symbol with @trade, @depth or @depth@100ms (@depth@0ms for USD-M). */
function checkStreams({streams, symbol, usdm}: {streams: string[]; symbol: string; usdm: boolean}): string | undefined {
  if (streams.length > MAX_STREAMS) return `at most ${MAX_STREAMS} streams per connection`;
  const known = symbol.toLowerCase();
  const kinds = usdm ? ["trade", "depth@0ms"] : ["trade", "depth", "depth@100ms"];
  for (const stream of streams) {
    const [name, ...kind] = stream.toLowerCase().split("@");
    if ((known && name !== known) || !kinds.includes(kind.join("@")))
      return `unknown stream "${stream.slice(0, 60)}": expected ${known || "<symbol>"}@${kinds.join(", @")}`;
  }
  return undefined;
}

/** Answers a WebSocket upgrade that cannot be served with a 400 and a JSON reason. */
function refuseUpgrade({socket, reason}: {socket: {end(text: string): void}; reason: string}): void {
  const text = JSON.stringify({code: -1100, msg: reason});
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`
  );
}

/**
 * `lab feed binance`: a local exchange speaking the Binance spot protocol for the simulated
 * market (or a recorded capture): combined streams at `/stream?streams=<sym>@trade/<sym>@depth@100ms`
 * (`{stream, data}` wrappers), REST `/api/v3/depth?symbol=&limit=` and `/api/v3/time`, pings
 * every 20 s, real time or `speed` times faster, with faults on demand: lost depth messages,
 * disconnects, a stale snapshot. Listens on 127.0.0.1 only.
 */
export async function startBinanceFeed(options: BinanceFeedOptions = {}): Promise<BinanceFeed> {
  const {host = "127.0.0.1", port = 0, speed = 1, pingIntervalMs = 20_000, dropRate = 0, log = () => {}} = options;
  const config = {...defaultMarketConfig, ...options.config};
  const clients = new Set<{ws: WebSocket; streams: Set<string>}>();
  const stats = {messages: 0, dropped: [] as number[], disconnects: 0};
  const faultRng = createRng(`${options.seed ?? 1} faults`);
  let dropNext = 0,
    staleNext = false;
  const history: DepthSnapshot[] = [];
  const usdm = options.market === "usdm";
  const futures = usdm ? futuresDepth() : undefined;
  const emit = (stream: string, data: object) => {
    if (futures) [stream, data] = futures(stream, data);
    if (stream.endsWith("@depth@100ms") || stream.endsWith("@depth") || stream.endsWith("@depth@0ms")) {
      if (dropNext > 0 || (dropRate && faultRng.next() < dropRate)) {
        dropNext = Math.max(0, dropNext - 1);
        stats.dropped.push((data as {u: number}).u);
        return;
      }
    }
    const text = JSON.stringify({stream, data});
    for (const c of clients) if (c.streams.has(stream) && c.ws.readyState === c.ws.OPEN) c.ws.send(text);
    stats.messages++;
  };
  const startReal = performance.now();
  const startMs = Date.now();
  const source = options.replay
    ? replaySource({path: options.replay, emit, startMs})
    : simulatedSource({seed: options.seed ?? 1, config, emit, startMs});
  const feedMs = () => startMs + (performance.now() - startReal) * speed;
  let running = true;
  let ticking = false;
  let lastHistory = 0;
  const tick = async () => {
    if (ticking || !running) return;
    ticking = true;
    try {
      const now = feedMs();
      await source.runUntil(now);
      if (now - lastHistory >= 500) {
        history.push(source.depth(1000));
        if (history.length > 20) history.shift();
        lastHistory = now;
      }
    } finally {
      ticking = false;
    }
  };
  const clock = setInterval(() => void tick().catch((e) => log(`feed error: ${(e as Error).message}`)), 5);
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, {"content-type": "application/json"}).end(JSON.stringify(body));
  const rest = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", `http://${host}`);
    if (req.method !== "GET" && req.method !== "HEAD")
      return json(res, 405, {code: -1, msg: `${req.method} is not supported; use GET`});
    if (url.pathname === (usdm ? "/fapi/v1/time" : "/api/v3/time"))
      return json(res, 200, {serverTime: Math.floor(feedMs())});
    if (url.pathname === (usdm ? "/fapi/v1/depth" : "/api/v3/depth")) {
      const symbol = (url.searchParams.get("symbol") ?? "").toUpperCase();
      if (!source.symbol || symbol !== source.symbol) return json(res, 400, {code: -1121, msg: "Invalid symbol."});
      const limit = parseDepthLimit(url.searchParams.get("limit"));
      if (!limit.ok) return json(res, 400, {code: -1100, msg: limit.reason});
      if (staleNext && history.length > 4) {
        staleNext = false;
        const old = history[history.length - 5]!;
        return json(res, 200, {
          lastUpdateId: old.lastUpdateId,
          bids: old.bids.slice(0, limit.limit),
          asks: old.asks.slice(0, limit.limit)
        });
      }
      return json(res, 200, source.depth(limit.limit));
    }
    json(res, 404, {code: -1, msg: "not found"});
  };
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    try {
      rest(req, res);
    } catch (error) {
      log(`feed: ${req.method} ${req.url} failed: ${(error as Error).message}`);
      if (!res.headersSent) json(res, 500, {code: -1000, msg: "internal error"});
      else res.destroy();
    }
  });
  const wss = new WebSocketServer({noServer: true});
  wss.on("error", (error) => log(`feed: ${error.message}`));
  http.on("upgrade", (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    const refuse = (reason: string) => refuseUpgrade({socket, reason});
    try {
      const url = new URL(req.url ?? "/", `http://${host}`);
      const streams =
        url.pathname === "/stream"
          ? (url.searchParams.get("streams") ?? "").split("/").filter(Boolean)
          : url.pathname.startsWith("/ws/")
            ? [url.pathname.slice(4)]
            : [];
      if (!streams.length) return refuse("no streams: connect to /stream?streams=<symbol>@trade/<symbol>@depth@100ms");
      const bad = checkStreams({streams, symbol: source.symbol, usdm});
      if (bad) return refuse(bad);
      wss.handleUpgrade(req, socket, head, (ws) => {
        const client = {ws, streams: new Set(streams.map((s) => s.toLowerCase()))};
        clients.add(client);
        ws.on("close", () => clients.delete(client));
        ws.on("error", () => clients.delete(client));
      });
    } catch (error) {
      log(`feed: upgrade ${req.url} failed: ${(error as Error).message}`);
      socket.destroy();
    }
  });
  const ping = setInterval(() => {
    for (const c of clients) c.ws.ping();
  }, pingIntervalMs);
  const disconnectAll = () => {
    for (const c of clients) c.ws.terminate();
    clients.clear();
    stats.disconnects++;
  };
  const periodic = options.disconnectEverySeconds
    ? setInterval(disconnectAll, options.disconnectEverySeconds * 1000)
    : undefined;
  await new Promise<void>((resolve) => http.listen(port, host, resolve));
  const address = http.address() as AddressInfo;
  const url = `http://${host}:${address.port}`;
  // Run the source until its symbol is known (replays learn it from the first message).
  await tick();
  log(
    `Binance-protocol feed for ${source.symbol || "(replay)"} on ${url} (streams at ws://${host}:${address.port}/stream?streams=…), speed ×${speed}`
  );
  return {
    url,
    wsUrl: `ws://${host}:${address.port}`,
    get symbol() {
      return source.symbol;
    },
    stats,
    faults: {dropNext: (n) => (dropNext += n), disconnectAll, staleSnapshotNext: () => (staleNext = true)},
    depth: (limit) => source.depth(limit),
    async close() {
      running = false;
      clearInterval(clock);
      clearInterval(ping);
      if (periodic) clearInterval(periodic);
      for (const c of clients) c.ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  };
}
