import {mkdirSync} from "node:fs";
import {join} from "node:path";
import WebSocket from "ws";
import {LabError} from "../../core/errors.js";
import {ASK, BID, Book} from "../book.js";
import {DecimalScale} from "../decimal-units.js";
import type {DepthSnapshot} from "../sim/binance-streamer.js";
import {CaptureFileWriter} from "./capture-file.js";
import {recoverCapturePartials, type RecoveredPartial} from "./capture-recovery.js";
import {DEFAULT_SNAPSHOT_PACING, RestPacer, type RestPacing} from "./rest-pacer.js";

export interface CaptureOptions {
  /** WebSocket base (the real exchange by default) and REST base. */
  wsUrl?: string;
  restUrl?: string;
  /** Binance symbol, e.g. BTCUSDT. */
  symbol: string;
  /**
   * "spot" (default) or "usdm" (USD-M futures: `@depth@0ms`, `/fapi/v1/depth`, and the futures
   * rules — drop u < lastUpdateId, the first kept diff has U ≤ lastUpdateId ≤ u, then each pu is
   * the previous u).
   */
  market?: "spot" | "usdm";
  outDir: string;
  /** Rotate files every this many ms of local time (hourly). */
  rotateMs?: number;
  gzip?: boolean;
  /** AES-256-GCM key (32 bytes), e.g. from $LAB_CAPTURE_KEY. */
  key?: Buffer;
  /** Roll the connection before the exchange's 24 h limit. */
  maxConnectionMs?: number;
  /** Measure the clock offset against /api/v3/time this often (hourly). */
  clockEveryMs?: number;
  depthLimit?: number;
  backoff?: {initialMs: number; maxMs: number};
  /** REST depth snapshots: minimum interval and back-off on refusals (429/418) and errors. */
  snapshotPacing?: Partial<RestPacing>;
  /** Flush gzip (and seal an encrypted chunk) this often: a killed capture loses at most this much (1 s). */
  flushMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Tests: called after every resync (the synchronised book and its last update id). */
  onResync?: (book: Book, lastUpdateId: number, scale: DecimalScale) => void;
  /** Tests: called after every applied diff. */
  onDiff?: (book: Book, lastUpdateId: number, scale: DecimalScale) => void;
  /** Regime tags cover this much local time each (a minute). */
  regimeWindowMs?: number;
  /** Benchmarks: the running count of messages written. */
  onMessage?: (messages: number) => void;
}

export interface CaptureSummary {
  messages: number;
  /** The finished files, by their final names, and the lines written into them. */
  files: string[];
  lines: number;
  /** What was done with the partial files earlier captures left in the folder. */
  recovered: RecoveredPartial[];
  /** REST depth requests sent, and how many were refused or failed (then retried after a back-off). */
  snapshotRequests: number;
  snapshotRefusals: number;
  gaps: {expected: number; got: number; atNs: string}[];
  resyncs: number;
  snapshotRefetches: number;
  reconnects: number;
  chronologyViolations: number;
  clock: {atMs: number; offsetMs: number; rttMs: number}[];
  regimes: {minuteStart: string; messagesPerSecond: number; spreadVolatility: number; regime: string}[];
}

// Local time in ns: the wall clock at start-up plus the monotonic clock since (never steps back).
const anchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
const localNs = () => anchorNs + process.hrtime.bigint();

/** Depth events kept while waiting for a snapshot. */
const MAX_BUFFERED = 100_000;

/**
 * `lab capture`: records a Binance spot symbol's live feed — trades and 100 ms depth diffs from
 * one combined stream — and keeps the order book synchronised by the exchange's rules: buffer the
 * stream, fetch a REST snapshot (again if it is older than the first buffered event), drop
 * events with u ≤ lastUpdateId, require the first kept one to straddle lastUpdateId + 1, then
 * each U must be the previous u + 1 — otherwise record the gap and re-snapshot. Every raw
 * message is written as JSON Lines with its local arrival time in ns (the exchange's E/T stay in
 * the message), into hourly files (gzip, optionally AES-256-GCM) that appear only when
 * complete; snapshots, gaps, resyncs, clock offsets and regime tags go into the same log.
 * Reconnects with exponential backoff, rolls the connection before 24 h; snapshot requests are
 * paced and back off when refused. First, the partial files a killed capture left in `outDir`
 * are recovered (`capture-recovery.ts`); no file is ever overwritten.
 */
// Over 150 lines: one capture's state (book sync, buffer, files, backoff) shared by its connection's handlers.
export async function captureBinance(options: CaptureOptions): Promise<CaptureSummary> {
  const usdm = options.market === "usdm";
  const {
    wsUrl = usdm ? "wss://fstream.binance.com" : "wss://stream.binance.com:9443",
    restUrl = usdm ? "https://fapi.binance.com" : "https://api.binance.com",
    symbol,
    outDir,
    rotateMs = 3_600_000,
    gzip = true,
    key,
    maxConnectionMs = 23.5 * 3_600_000,
    clockEveryMs = 3_600_000,
    depthLimit = 1000,
    backoff = {initialMs: 500, maxMs: 30_000},
    flushMs = 1000,
    regimeWindowMs = 60_000,
    signal,
    log = () => {}
  } = options;
  mkdirSync(outDir, {recursive: true});
  const recovered = await recoverCapturePartials({dir: outDir, key, log});
  const lower = symbol.toLowerCase();
  const streams = [`${lower}@trade`, usdm ? `${lower}@depth@0ms` : `${lower}@depth@100ms`];
  const api = usdm ? "/fapi/v1" : "/api/v3";
  // The exchange's rules for a diff after a snapshot (L: its lastUpdateId) and after another diff.
  type Diff = {U: number; u: number; pu?: number; b: [string, string][]; a: [string, string][]};
  const rules = usdm
    ? {
        stale: (e: Diff, L: number) => e.u < L,
        straddles: (e: Diff, L: number) => e.U <= L && e.u >= L,
        continues: (e: Diff, lastU: number) => e.pu === lastU
      }
    : {
        stale: (e: Diff, L: number) => e.u <= L,
        straddles: (e: Diff, L: number) => e.U <= L + 1 && e.u >= L + 1,
        continues: (e: Diff, lastU: number) => e.U <= lastU + 1
      };
  const summary: CaptureSummary = {
    messages: 0,
    files: [],
    lines: 0,
    recovered,
    snapshotRequests: 0,
    snapshotRefusals: 0,
    gaps: [],
    resyncs: 0,
    snapshotRefetches: 0,
    reconnects: 0,
    chronologyViolations: 0,
    clock: [],
    regimes: []
  };

  // Files: one per rotation period, opened before the previous one closes (nothing is lost between
  // them), named for the time they open — a restart within the hour starts a file of its own.
  const writers: CaptureFileWriter[] = [];
  let writer: CaptureFileWriter | undefined;
  let bucket = -1;
  const closing: Promise<void>[] = [];
  const write = (record: object, ns = localNs()) => {
    const ms = Number(ns / 1_000_000n);
    const b = Math.floor(ms / rotateMs);
    if (b !== bucket) {
      const previous = writer;
      const stamp = new Date(ms).toISOString().replace(/[:.]/g, "-");
      const path = join(outDir, `${lower}-${stamp}.jsonl${gzip ? ".gz" : ""}${key ? ".enc" : ""}`);
      writer = new CaptureFileWriter(path, {gzip, key, flushMs});
      writers.push(writer);
      bucket = b;
      if (previous) closing.push(previous.close());
    }
    writer!.write(JSON.stringify({local_ns: String(ns), ...record}));
  };

  // The synchronised book, in integer units at the decimals the exchange's strings use (not
  // their width: Binance pads every price to 8 decimals).
  const book = new Book();
  const scale = new DecimalScale();
  const applyLevels = (side: 0 | 1, levels: [string, string][]) => {
    scale.observe(levels, book);
    scale.apply(book, side, levels);
  };

  // Chronology and regimes.
  const lastE = new Map<string, number>();
  let minute = -1,
    minuteMessages = 0,
    spreads: number[] = [];
  const regimeOf = (rate: number, vol: number) => {
    const rates = summary.regimes.map((r) => r.messagesPerSecond).sort((a, b) => a - b);
    const vols = summary.regimes.map((r) => r.spreadVolatility).sort((a, b) => a - b);
    const medRate = rates[rates.length >> 1] ?? rate,
      medVol = vols[vols.length >> 1] ?? vol;
    if (vol > 2 * medVol && medVol > 0) return "volatile";
    if (rate > 2 * medRate) return "busy";
    if (rate < 0.5 * medRate) return "quiet";
    return "normal";
  };
  const tagRegime = (ns: bigint) => {
    const m = Math.floor(Number(ns / 1_000_000n) / regimeWindowMs);
    if (minute < 0) minute = m;
    if (m !== minute) {
      const mean = spreads.reduce((a, b) => a + b, 0) / Math.max(1, spreads.length);
      const vol = Math.sqrt(spreads.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, spreads.length));
      const entry = {
        minuteStart: new Date(minute * regimeWindowMs).toISOString(),
        messagesPerSecond: minuteMessages / (regimeWindowMs / 1000),
        spreadVolatility: vol,
        regime: ""
      };
      entry.regime = regimeOf(entry.messagesPerSecond, vol);
      summary.regimes.push(entry);
      write({type: "regime", ...entry}, ns);
      minute = m;
      minuteMessages = 0;
      spreads = [];
    }
  };

  const fetchJson = async <T>(path: string): Promise<T> => {
    // Each request gets its own controller, tied to the capture's signal only while it runs:
    // fetch leaves its abort listener on a signal it is given, so a long capture (a re-snapshot
    // after every gap) would pile thousands of them onto one signal.
    const request = new AbortController();
    const abort = () => request.abort(signal?.reason);
    if (signal?.aborted) abort();
    signal?.addEventListener("abort", abort, {once: true});
    try {
      const res = await fetch(`${restUrl}${path}`, {signal: request.signal});
      if (!res.ok) throw new LabError({reason: `GET ${restUrl}${path}: HTTP ${res.status} ${await res.text()}`});
      return (await res.json()) as T;
    } finally {
      signal?.removeEventListener("abort", abort);
    }
  };
  const snapshots = new RestPacer({
    baseUrl: restUrl,
    pacing: {...DEFAULT_SNAPSHOT_PACING, ...options.snapshotPacing},
    log
  });
  const measureClock = async () => {
    const before = Date.now();
    const {serverTime} = await fetchJson<{serverTime: number}>(`${api}/time`);
    const after = Date.now();
    const entry = {atMs: after, offsetMs: serverTime - (before + after) / 2, rttMs: after - before};
    summary.clock.push(entry);
    write({type: "clock", server_ms: serverTime, offset_ms: entry.offsetMs, rtt_ms: entry.rttMs});
  };

  let attempt = 0;
  while (!signal?.aborted) {
    const outcome = await new Promise<"aborted" | "closed" | "rolled">((resolve) => {
      const ws = new WebSocket(`${wsUrl}/stream?streams=${streams.join("/")}`);
      let state: "buffering" | "fetching" | "synced" = "buffering";
      let buffer: Diff[] = [];
      let lastU = -1;
      // Synced with no diff applied since the snapshot: the next must straddle lastUpdateId.
      let awaitingFirst = false;
      let settled = false;
      const connection = new AbortController();
      const finish = (why: "aborted" | "closed" | "rolled") => {
        if (settled) return;
        settled = true;
        connection.abort();
        clearTimeout(roll);
        clearInterval(clock);
        signal?.removeEventListener("abort", onAbort);
        ws.removeAllListeners();
        ws.on("error", () => {});
        ws.terminate();
        write({type: "disconnect", reason: why});
        resolve(why);
      };
      const onAbort = () => finish("aborted");
      signal?.addEventListener("abort", onAbort, {once: true});
      const roll = setTimeout(() => finish("rolled"), maxConnectionMs);
      const clock = setInterval(
        () => void measureClock().catch((e) => log(`clock: ${(e as Error).message}`)),
        clockEveryMs
      );
      const apply = (e: Diff) => {
        applyLevels(BID, e.b);
        applyLevels(ASK, e.a);
        lastU = e.u;
        options.onDiff?.(book, lastU, scale);
      };
      const resnapshot = async () => {
        state = "fetching";
        for (;;) {
          while (!buffer.length && !settled) await new Promise((r) => setTimeout(r, 5));
          if (settled) return;
          const snap = await snapshots.get<DepthSnapshot>({
            path: `${api}/depth?symbol=${symbol}&limit=${depthLimit}`,
            signal: connection.signal
          });
          write({type: "snapshot", data: snap});
          // A snapshot older than the first buffered event cannot be continued: fetch again.
          if (snap.lastUpdateId < buffer[0]!.U) {
            summary.snapshotRefetches++;
            continue;
          }
          book.clear();
          applyLevels(BID, snap.bids);
          applyLevels(ASK, snap.asks);
          lastU = snap.lastUpdateId;
          const kept = buffer.filter((e) => !rules.stale(e, snap.lastUpdateId));
          buffer = [];
          const broken = kept.findIndex((e, i) =>
            i ? !rules.continues(e, kept[i - 1]!.u) : !rules.straddles(e, lastU)
          );
          if (broken >= 0) {
            summary.snapshotRefetches++;
            buffer = kept.slice(broken);
            continue;
          }
          for (const e of kept) apply(e);
          awaitingFirst = !kept.length;
          state = "synced";
          summary.resyncs++;
          attempt = 0;
          write({type: "sync", last_update_id: lastU});
          options.onResync?.(book, lastU, scale);
          return;
        }
      };
      ws.on("open", () => {
        write({type: "connect", url: wsUrl});
        void measureClock().catch((e) => log(`clock: ${(e as Error).message}`));
        void resnapshot().catch((e) => settled || (log(`snapshot: ${(e as Error).message}`), finish("closed")));
      });
      ws.on("message", (raw: Buffer) => {
        const ns = localNs();
        const msg = JSON.parse(raw.toString()) as {
          stream: string;
          data: Diff & {E: number};
        };
        write({stream: msg.stream, data: msg.data}, ns);
        summary.messages++;
        options.onMessage?.(summary.messages);
        minuteMessages++;
        tagRegime(ns);
        const prevE = lastE.get(msg.stream);
        if (prevE !== undefined && msg.data.E < prevE) summary.chronologyViolations++;
        lastE.set(msg.stream, msg.data.E);
        if (!msg.stream.includes("@depth")) return;
        const e = msg.data;
        if (state !== "synced") {
          buffer.push(e);
          // While snapshots are refused the buffer would grow without end; its oldest events are
          // of no use then (a snapshot must be newer than the first buffered event anyway).
          if (buffer.length > MAX_BUFFERED) buffer = buffer.slice(-MAX_BUFFERED / 2);
          return;
        }
        // Already in the book (the first events after a snapshot may be).
        if (awaitingFirst ? rules.stale(e, lastU) : e.u <= lastU) return;
        if (awaitingFirst ? !rules.straddles(e, lastU) : !rules.continues(e, lastU)) {
          summary.gaps.push({expected: lastU + 1, got: e.U, atNs: String(ns)});
          write({type: "gap", expected: lastU + 1, got: e.U}, ns);
          log(`gap: expected update ${lastU + 1}, got ${e.U}–${e.u}; re-snapshotting`);
          buffer = [e];
          void resnapshot().catch((err) => settled || (log(`snapshot: ${(err as Error).message}`), finish("closed")));
          return;
        }
        apply(e);
        awaitingFirst = false;
        if (book.bestBid >= 0 && book.bestAsk >= 0) spreads.push((book.bestAsk - book.bestBid) / 10 ** scale.price);
      });
      ws.on("close", () => finish("closed"));
      ws.on("error", (e) => {
        log(`connection: ${(e as Error).message}`);
        finish("closed");
      });
    });
    if (outcome === "aborted") break;
    summary.reconnects++;
    if (outcome === "closed") {
      const wait = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt++) * (0.5 + Math.random() / 2);
      log(`disconnected; reconnecting in ${wait.toFixed(0)} ms`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  await writer?.close();
  await Promise.all(closing);
  summary.files = writers.map((w) => w.path);
  summary.lines = writers.reduce((n, w) => n + w.lines, 0);
  summary.snapshotRequests = snapshots.requests;
  summary.snapshotRefusals = snapshots.refusals;
  return summary;
}
