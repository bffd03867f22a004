/**
 * A recording in the real format (8-decimal prices, levels far from the mid, the REST snapshot
 * written after the first diffs) rebuilt three ways — by `lab capture` against `lab feed binance
 * --replay`, by `lab fidelity`'s golden reader, and by `lab run market` on the recording as a
 * dataset — equals Binance's rules applied by hand at every 100 ms sample and at the end; and
 * `lab fidelity` of the recording against itself passes with score 1.
 */
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {gzipSync} from "node:zlib";
import {beforeAll, describe, expect, test} from "vitest";
import {FIDELITY_EXIT, fidelityVerb} from "../../cli/verbs/fidelity.js";
import {runVerb} from "../../cli/verbs/run.js";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {observationFromCapture} from "../../src/lib/market/fidelity/observations.js";
import {startBinanceFeed} from "../../src/lib/market/live/binance-feed-server.js";
import {captureBinance} from "../../src/lib/market/live/capture.js";
import {isRecordingName, recordingKindOf} from "../../src/lib/market/recording-dataset.js";
import {runNode} from "../run-node.js";
import {binanceRecording, referenceBooks} from "./binance-recording.js";

type Book = {bids: [number, number][]; asks: [number, number][]};
const LEVELS = 20;

/** A sample's levels in cents and 1e-8 lots, as referenceBooks keeps them (the top LEVELS a side). */
const top = (b: Book) => ({bids: b.bids.slice(0, LEVELS), asks: b.asks.slice(0, LEVELS)});

/** book_samples rows as integer cents and lots per level: {ts_ns, bids, asks}. */
async function samplesOf(path: string): Promise<({tNs: number} & Book)[]> {
  const cols = ["bid", "ask"].flatMap((s) =>
    Array.from(
      {length: LEVELS},
      (_, l) => `(${s}_${l}_price * 100)::BIGINT AS ${s}p${l}, (${s}_${l}_size * 100000000)::BIGINT AS ${s}q${l}`
    )
  );
  const rows = await readParquetAll({
    path,
    sql: `SELECT ts_ns::DOUBLE AS ts, ${cols.join(", ")} FROM t ORDER BY ts_ns`
  });
  return rows.map((r) => {
    const side = (s: string) =>
      Array.from({length: LEVELS}, (_, l) => [r[`${s}p${l}`], r[`${s}q${l}`]])
        .filter(([p]) => p !== null)
        .map(([p, q]) => [Number(p), Number(q)] as [number, number]);
    return {tNs: Number(r.ts), bids: side("bid"), asks: side("ask")};
  });
}

describe("a real-format recording rebuilt by capture, by the golden reader and by lab run market", () => {
  const rec = binanceRecording({seed: 11, diffs: 400, snapshotAt: 6});
  const reference = referenceBooks(rec);
  // A sample at grid time g holds the book after the diffs up to g (the diffs come every 100 ms, on the grid).
  const byTime = new Map(reference.map((r) => [r.E * 1e6, r]));
  const byU = new Map(reference.map((r) => [r.u, r]));
  const end = reference.at(-1)!;
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "recording-books-"));
    mkdirSync(join(dir, "btcusdt"));
    file = join(dir, "btcusdt", "btcusdt-2025-12-06.txt.gz");
    writeFileSync(file, gzipSync(rec.text));
    // The recording is what the issue describes: far levels, 8-decimal strings, snapshot after diffs.
    expect(rec.text).toContain('"61837.63000000"');
    expect(rec.lines.findIndex((l) => l.includes("lastUpdateId"))).toBeGreaterThan(3);
  });

  test("files are recognised by name and first line", () => {
    expect(["a.txt.gz", "b.jsonl", "c.jsonl.gz", "d.log", "trades.csv", "x.parquet"].map(isRecordingName)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false
    ]);
    expect(recordingKindOf(rec.lines[0]!)).toBe("recording");
    expect(recordingKindOf('{"local_ns":"1","stream":"btcusdt@trade","data":{}}')).toBe("capture");
    expect(recordingKindOf("date,amount")).toBeUndefined();
  });

  test("(b) the golden reader: every sample equals the reference", () => {
    const o = observationFromCapture({dir: file});
    const {tNs, levels, bidPx, bidQty, askPx, askQty} = o.samples;
    expect(tNs.length).toBe(reference.length - 1);
    for (let i = 0; i < tNs.length; i++) {
      const got: Book = {bids: [], asks: []};
      for (let l = 0; l < levels; l++) {
        const k = i * levels + l;
        if (Number.isFinite(bidPx[k]!)) got.bids.push([Math.round(bidPx[k]! * 100), Math.round(bidQty[k]! * 1e8)]);
        if (Number.isFinite(askPx[k]!)) got.asks.push([Math.round(askPx[k]! * 100), Math.round(askQty[k]! * 1e8)]);
      }
      expect(got).toEqual(top(byTime.get(tNs[i]!)!));
    }
  });

  test("(c) lab run market on the recording as a dataset: book_samples and market_events equal the reference; lab fidelity against itself PASSes with score 1", async () => {
    const out = join(dir, "run");
    const logged: string[] = [];
    const log = console.log;
    console.log = (line: string) => void logged.push(line);
    try {
      await runVerb.run({positionals: ["market"], flags: {dataset: join(dir, "btcusdt"), out}});
    } finally {
      console.log = log;
    }
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith(".parquet"))
        .sort()
    ).toEqual(["book_samples.parquet", "fidelity_status.parquet", "market_events.parquet"]);
    const samples = await samplesOf(join(out, "book_samples.parquet"));
    expect(samples.length).toBe(reference.length - 1);
    for (const s of samples) expect({bids: s.bids, asks: s.asks}).toEqual(top(byTime.get(s.tNs)!));
    // At the end: the book after the last diff, as market_events' last book row holds it.
    const events = join(out, "market_events.parquet");
    const [last] = await readParquetAll({
      path: events,
      sql: `SELECT (best_bid * 100)::BIGINT AS bid, (best_ask * 100)::BIGINT AS ask, (bid_depth_5 * 100000000)::BIGINT AS bd,
                   (ask_depth_5 * 100000000)::BIGINT AS ad, update_id::BIGINT AS u, event_ts_ns, symbol, dataset
            FROM t WHERE event_type = 'BOOK_DELTA' ORDER BY event_ts_ns DESC LIMIT 1`
    });
    const depth5 = (levels: [number, number][]) => levels.slice(0, 5).reduce((a, [, q]) => a + q, 0);
    expect(last).toEqual({
      bid: BigInt(end.bids[0]![0]),
      ask: BigInt(end.asks[0]![0]),
      bd: BigInt(depth5(end.bids)),
      ad: BigInt(depth5(end.asks)),
      u: BigInt(end.u),
      // The exchange's E in ns, exactly.
      event_ts_ns: BigInt(end.E) * 1_000_000n,
      symbol: "BTCUSDT",
      dataset: "btcusdt"
    });
    // Every level every applied diff changed is a row; every recorded trade after the book started is one.
    const [counts] = await readParquetAll({
      path: events,
      sql: "SELECT count(*) FILTER (WHERE event_type = 'BOOK_DELTA')::INT AS deltas, count(*) FILTER (WHERE event_type = 'BOOK_SNAPSHOT')::INT AS snapshots, count(*) FILTER (WHERE gap)::INT AS gaps FROM t"
    });
    const applied = rec.diffs.filter((d) => d.u > rec.snapshot.lastUpdateId);
    expect(counts).toEqual({deltas: applied.reduce((n, d) => n + d.b.length + d.a.length, 0), snapshots: 1, gaps: 0});
    const [status] = await readParquetAll({path: join(out, "fidelity_status.parquet"), sql: "SELECT state FROM t"});
    expect(status).toEqual({state: "no_history"});

    const code = await fidelityVerb.run({
      positionals: [],
      flags: {reconstructed: out, golden: file, out: join(dir, "report")}
    });
    console.log = log;
    expect(code).toBe(FIDELITY_EXIT.pass);
    const report = JSON.parse(readFileSync(join(dir, "report", "fidelity.json"), "utf-8")) as {
      score: number;
      verdict: string;
      metrics: {metric: string; statistic: number}[];
    };
    expect({verdict: report.verdict, score: report.score}).toEqual({verdict: "PASS", score: 1});
    expect(report.metrics.find((m) => m.metric === "exact_top_of_book_share")!.statistic).toBe(0);
    // The command itself, as a shell runs it: exit code 0.
    const cli = await runNode(
      [
        "--import",
        "tsx",
        "cli/lab.ts",
        "fidelity",
        "--reconstructed",
        out,
        "--golden",
        file,
        "--out",
        join(dir, "cli")
      ],
      {cwd: join(import.meta.dirname, "..", ".."), timeoutMs: 60_000, env: {...process.env, LAB_DEBUG: ""}}
    );
    expect({status: cli.status, stdout: cli.stdout.split("\n")[0]}).toEqual({
      status: 0,
      stdout: "PASS: fidelity score 1.0000"
    });
  }, 120_000);

  test("(a) lab capture against lab feed binance --replay: the book after every diff, and its capture file rebuilt by lab run market, equal the reference", async () => {
    const feed = await startBinanceFeed({replay: file, speed: 10});
    const messages = rec.lines.filter((l) => l.includes('"stream"')).length;
    const controller = new AbortController();
    const books: {u: number; book: Book}[] = [];
    const capture = captureBinance({
      wsUrl: feed.wsUrl,
      restUrl: feed.url,
      symbol: "BTCUSDT",
      outDir: join(dir, "capture", "btcusdt"),
      signal: controller.signal,
      snapshotPacing: {minIntervalMs: 50},
      onDiff: (book, u, scale) => {
        const p = 10 ** (2 - scale.price),
          q = 10 ** (8 - scale.qty);
        const levels = book.levels();
        books.push({
          u,
          book: {
            bids: levels.bids.map(([t, l]) => [Math.round(t * p), Math.round(l * q)]),
            asks: levels.asks.map(([t, l]) => [Math.round(t * p), Math.round(l * q)])
          }
        });
      }
    });
    const started = Date.now();
    while (feed.stats.messages < messages && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    const summary = await capture;
    await feed.close();
    expect(summary.gaps).toEqual([]);
    expect(summary.resyncs).toBe(1);
    // Synced early, and the book after each diff from there on is Binance's.
    expect(books.length).toBeGreaterThan(reference.length * 0.8);
    for (const {u, book} of books) {
      const want = byU.get(u)!;
      expect(book).toEqual({bids: want.bids, asks: want.asks});
    }
    expect(books.at(-1)!.u).toBe(end.u);
    // The capture's own file, as a dataset: its samples are the reference's from the capture's sync on.
    const out = join(dir, "capture-run");
    const log = console.log;
    console.log = () => {};
    try {
      await runVerb.run({positionals: ["market"], flags: {dataset: join(dir, "capture", "btcusdt"), out}});
    } finally {
      console.log = log;
    }
    const samples = await samplesOf(join(out, "book_samples.parquet"));
    expect(samples.length).toBeGreaterThan(reference.length * 0.8);
    for (const s of samples) expect({bids: s.bids, asks: s.asks}).toEqual(top(byTime.get(s.tNs)!));
    const [last] = await readParquetAll({
      path: join(out, "market_events.parquet"),
      sql: "SELECT (best_bid * 100)::BIGINT AS bid, (best_ask * 100)::BIGINT AS ask, received_time IS NOT NULL AS received FROM t ORDER BY event_ts_ns DESC LIMIT 1"
    }).catch(() =>
      // Before market_events declares received_time.
      readParquetAll({
        path: join(out, "market_events.parquet"),
        sql: "SELECT (best_bid * 100)::BIGINT AS bid, (best_ask * 100)::BIGINT AS ask, true AS received FROM t ORDER BY event_ts_ns DESC LIMIT 1"
      })
    );
    expect(last).toEqual({bid: BigInt(end.bids[0]![0]), ask: BigInt(end.asks[0]![0]), received: true});
  }, 90_000);
});
