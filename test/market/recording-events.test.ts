import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {folderSink} from "../../src/lib/core/table-sink.js";
import {summarizeRecording} from "../../src/lib/market/recording-dataset.js";
import {writeRecordingTables} from "../../src/lib/market/recording-events.js";
import {binanceRecording, referenceBooks} from "./binance-recording.js";

describe("a recording's market_events", () => {
  test("a lost diff: the gap is flagged until a later snapshot resyncs the book, which then equals Binance's rules again", async () => {
    const rec = binanceRecording({seed: 4, diffs: 200});
    const reference = referenceBooks(rec);
    const byU = new Map(reference.map((r) => [r.u, r]));
    // Lose the 80th diff; a snapshot of the book after the 90th arrives after the 92nd.
    const lost = rec.diffs[80]!,
      anchor = rec.diffs[90]!,
      after = rec.diffs[92]!;
    const price = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}000000`;
    const qty = (l: number) => `${Math.floor(l / 1e8)}.${String(l % 1e8).padStart(8, "0")}`;
    const at = byU.get(anchor.u)!;
    const snapshot = {
      lastUpdateId: anchor.u,
      bids: at.bids.map(([p, q]) => [price(p), qty(q)]),
      asks: at.asks.map(([p, q]) => [price(p), qty(q)])
    };
    const lines: string[] = [];
    for (const line of rec.lines) {
      if (line.includes(`"U":${lost.U},`)) continue;
      lines.push(line);
      if (line.includes(`"U":${after.U},`))
        lines.push(`${line.slice(0, line.indexOf(" "))} ${JSON.stringify(snapshot)}`);
    }
    const dir = mkdtempSync(join(tmpdir(), "recording-events-"));
    const file = join(dir, "gap.txt");
    writeFileSync(file, lines.join("\n") + "\n");
    const sink = folderSink({outDir: join(dir, "out"), dataset: "gap"});
    const r = await writeRecordingTables({files: [file], symbol: "BTCUSDT", scratchDir: dir, sink});
    expect(r.observation.gaps).toBe(1);
    const events = join(dir, "out", "market_events.parquet");
    const snapshots = await readParquetAll({
      path: events,
      sql: "SELECT update_id::BIGINT AS u, gap, resync, (best_bid * 100)::BIGINT AS bid FROM t WHERE event_type = 'BOOK_SNAPSHOT' ORDER BY event_ts_ns"
    });
    expect(snapshots).toEqual([
      {u: BigInt(rec.snapshot.lastUpdateId), gap: false, resync: false, bid: expect.any(BigInt)},
      {u: BigInt(anchor.u), gap: true, resync: true, bid: BigInt(at.bids[0]![0])}
    ]);
    // No delta of the diffs between the loss and the snapshot is in the table; the ones after it are.
    const [counts] = await readParquetAll({
      path: events,
      sql: `SELECT count(*) FILTER (WHERE event_type = 'BOOK_DELTA' AND update_id BETWEEN ${lost.u} AND ${anchor.u})::INT AS skipped,
                   count(*) FILTER (WHERE event_type = 'BOOK_DELTA' AND update_id = ${rec.diffs[91]!.u})::INT AS resumed,
                   (arg_max(best_ask, event_ts_ns) * 100)::BIGINT AS ask FROM t`
    });
    expect(counts).toEqual({
      skipped: 0,
      resumed: rec.diffs[91]!.b.length + rec.diffs[91]!.a.length,
      ask: BigInt(reference.at(-1)!.asks[0]![0])
    });
  });

  test("a recording that starts with its snapshot: the snapshot row takes the first event's exchange time", async () => {
    const rec = binanceRecording({seed: 6, diffs: 60});
    const snapshotLine = rec.lines.find((l) => l.includes("lastUpdateId"))!;
    const lines = [snapshotLine, ...rec.lines.filter((l) => l !== snapshotLine)];
    const dir = mkdtempSync(join(tmpdir(), "recording-events-first-"));
    const file = join(dir, "first.txt");
    writeFileSync(file, lines.join("\n") + "\n");
    await writeRecordingTables({
      files: [file],
      scratchDir: dir,
      sink: folderSink({outDir: join(dir, "out"), dataset: "x"})
    });
    const rows = await readParquetAll({
      path: join(dir, "out", "market_events.parquet"),
      sql: "SELECT event_type::VARCHAR AS type, event_ts_ns, update_id::BIGINT AS u, symbol FROM t ORDER BY event_ts_ns LIMIT 2"
    });
    // The first event the book sees: a trade, or a diff past the snapshot (the ones before it are dropped).
    const firstMs = lines
      .slice(1)
      .map(
        (l) => (JSON.parse(l.slice(l.indexOf(" ") + 1)) as {data: {e: string; u: number; T?: number; E: number}}).data
      )
      .find((d) => d.e === "trade" || d.u > rec.snapshot.lastUpdateId)!;
    const at = BigInt(firstMs.T ?? firstMs.E) * 1_000_000n;
    expect(rows[0]).toEqual({
      type: "BOOK_SNAPSHOT",
      event_ts_ns: at,
      u: BigInt(rec.snapshot.lastUpdateId),
      symbol: "BTCUSDT"
    });
    expect(rows[1]!.event_ts_ns).toBe(at);
  });

  test("bookTicker messages (no event time) are counted and passed over: the same events as without them", async () => {
    const rec = binanceRecording({seed: 7, diffs: 80});
    const dir = mkdtempSync(join(tmpdir(), "recording-events-ticker-"));
    const plain = join(dir, "plain.txt"),
      ticker = join(dir, "ticker.txt");
    writeFileSync(plain, rec.text);
    const withTicker = rec.lines.flatMap((l) => {
      if (!l.includes('"btcusdt@trade"')) return [l];
      const ns = l.slice(0, l.indexOf(" "));
      const data = {u: 1, s: "BTCUSDT", b: "61837.62000000", B: "0.5", a: "61837.63000000", A: "0.25"};
      return [l, `${ns} ${JSON.stringify({stream: "btcusdt@bookTicker", data})}`];
    });
    writeFileSync(ticker, withTicker.join("\n") + "\n");
    const a = summarizeRecording({path: plain, relPath: "plain.txt"}),
      b = summarizeRecording({path: ticker, relPath: "ticker.txt"});
    expect(b.messages - a.messages).toBe(withTicker.length - rec.lines.length);
    expect([b.firstNs, b.lastNs, b.symbol]).toEqual([a.firstNs, a.lastNs, "BTCUSDT"]);
    const rows = async (file: string, name: string) => {
      await writeRecordingTables({
        files: [file],
        scratchDir: dir,
        sink: folderSink({outDir: join(dir, name), dataset: "x"})
      });
      return readParquetAll({
        path: join(dir, name, "market_events.parquet"),
        sql: "SELECT * EXCLUDE (dataset) FROM t"
      });
    };
    expect(await rows(ticker, "ticker")).toEqual(await rows(plain, "plain"));
  });
});
