import {copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, relative} from "node:path";
import {describe, expect, test} from "vitest";
import {commandLineDataset} from "../../../src/lib/core/dataset.js";
import {openDuckDB} from "../../../src/lib/core/duckdb.js";
import {marketPipeline} from "../../../src/lib/market/pipeline.js";
import {reconstructMarket, StoppedForTest} from "../../../src/lib/market/replay/reconstruct.js";
import {fingerprint, simulatedHistory} from "../helpers.js";

/** Every file under a folder with its size and modification time: what a refused run must leave as it was. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${relative(dir, p)} ${statSync(p).size} ${statSync(p).mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}

const runMarket = (flags: Record<string, string | boolean>, outDir: string, lines: string[] = []) =>
  marketPipeline.run({
    dataset: commandLineDataset("market"),
    outDir,
    flags,
    files: [],
    seed: 1,
    log: (l) => lines.push(l)
  });

describe("replay safety", () => {
  test("a tick size the prices are not on is an error naming the file, row and price, with nothing written", async () => {
    const sim = await simulatedHistory({seed: 3, seconds: 30});
    const out = join(sim.dir, "tick");
    const error = await runMarket({...sim.inputs, "tick-size": "0.1"}, out).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    // The first delta (row 1) is the first price read; its price has cents.
    const duck = await openDuckDB();
    const [first] = await duck.all<{p: string}>(
      `SELECT price::VARCHAR AS p FROM read_parquet('${sim.files.deltas}', file_row_number = true) WHERE abs(price * 10 - round(price * 10)) > 1e-6 ORDER BY file_row_number LIMIT 1`
    );
    const [row] = await duck.all<{r: bigint}>(
      `SELECT file_row_number AS r FROM read_parquet('${sim.files.deltas}', file_row_number = true) WHERE price::VARCHAR = '${first!.p}' ORDER BY file_row_number LIMIT 1`
    );
    duck.close();
    expect(message).toContain(sim.files.deltas);
    expect(message).toContain(`row ${Number(row!.r) + 1}: price ${first!.p} is not a multiple of --tick-size 0.1`);
    expect(existsSync(out) ? readdirSync(out).filter((f) => !f.startsWith(".")) : []).toEqual([]);

    // The same on CSV names the line (header = line 1); the right tick replays.
    const csv = join(sim.dir, "trades.csv");
    const db = await openDuckDB();
    await db.run(`COPY (SELECT * FROM read_parquet('${sim.files.trades}')) TO '${csv}' (HEADER)`);
    const [t] = await db.all<{r: bigint; p: string}>(
      `SELECT file_row_number AS r, price::VARCHAR AS p FROM read_parquet('${sim.files.trades}', file_row_number = true) WHERE abs(price * 10 - round(price * 10)) > 1e-6 ORDER BY file_row_number LIMIT 1`
    );
    db.close();
    const csvError = await reconstructMarket({
      inputs: {trades: csv, book: sim.files.book},
      strategy: "snapshot_anchored",
      outDir: join(sim.dir, "tick-csv"),
      tickSize: 0.1
    }).catch((e: Error) => e);
    expect((csvError as Error).message).toContain(`${csv}:${Number(t!.r) + 2}:price: price `);
    const ok = await reconstructMarket({
      ...{inputs: sim.inputs},
      strategy: "full_event_replay",
      outDir: join(sim.dir, "ok"),
      tickSize: 0.01
    });
    expect(ok.counts.gaps).toBeLessThan(5);
  });

  test("without deltas the run uses the assessor's strategy and says so; asked-for full replay without deltas is an error", async () => {
    const sim = await simulatedHistory({seed: 4, seconds: 30});
    const lines: string[] = [];
    const out = join(sim.dir, "no-deltas");
    const result = await runMarket({trades: sim.files.trades, book: sim.files.book}, out, lines);
    expect(
      lines.some((l) => l.startsWith("market: replaying with snapshot_anchored, as the assessor recommends"))
    ).toBe(true);
    const report = JSON.parse(readFileSync(join(out, "assessment.json"), "utf-8")) as {replay: unknown};
    expect(report.replay).toEqual({strategy: "snapshot_anchored", chosen_by: "assessor"});
    const assessment = result.tables.find((t) => t.name === "market_assessment")!;
    const duck = await openDuckDB();
    const [row] = await duck.all<{s: string; md: string}>(
      `SELECT json_extract_string(report, '$.replay.strategy') AS s, markdown AS md FROM read_parquet('${assessment.path}')`
    );
    duck.close();
    expect(row!.s).toBe("snapshot_anchored");
    expect(row!.md).toContain("**Replayed with snapshot_anchored**, the recommended strategy");
    expect(result.tables.find((t) => t.name === "market_events")!.rows).toBeGreaterThan(100);

    const error = await runMarket(
      {trades: sim.files.trades, book: sim.files.book, strategy: "full_event_replay"},
      join(sim.dir, "asked")
    ).catch((e: Error) => e);
    expect((error as Error).message).toContain("strategy full_event_replay needs the deltas input");
  });

  test("--resume refuses a checkpoint of other inputs, strategy or options, says what differs and keeps every file", async () => {
    const sim = await simulatedHistory({seed: 5, seconds: 60});
    const other = await simulatedHistory({seed: 6, seconds: 60});
    const base = {inputs: sim.inputs, strategy: "full_event_replay" as const, segmentEvents: 3000};
    const clean = await reconstructMarket({...base, outDir: join(sim.dir, "clean")});
    const outDir = join(sim.dir, "partial");
    await expect(reconstructMarket({...base, outDir, stopAfterSegments: 2})).rejects.toBeInstanceOf(StoppedForTest);
    const before = tree(outDir);
    expect(before.some((f) => f.startsWith("segments/seg-00002.done.json"))).toBe(true);

    const refusals: [Parameters<typeof reconstructMarket>[0], string][] = [
      [
        {...base, outDir, strategy: "origin_time_sort"},
        "strategy: full_event_replay in the checkpoint, origin_time_sort now"
      ],
      [{...base, outDir, inputs: {...sim.inputs, deltas: other.files.deltas}}, `deltas input: ${sim.files.deltas}`],
      [{...base, outDir, tickSize: 0.01}, "tickSize: null in the checkpoint, 0.01 now"],
      [{...base, outDir, segmentEvents: 5000}, "segmentEvents: 3000 in the checkpoint, 5000 now"]
    ];
    // The same path with other content of the same size.
    const same = join(sim.dir, "deltas-copy.parquet");
    copyFileSync(sim.files.deltas, same);
    for (const [options, says] of refusals) {
      const error = await reconstructMarket({...options, resume: true}).catch((e: Error) => e);
      expect((error as Error).message).toContain("--resume refused");
      expect((error as Error).message).toContain(says);
      expect((error as Error).message).toContain("without --resume to start over");
      expect(tree(outDir)).toEqual(before);
    }
    const bytes = readFileSync(sim.files.deltas);
    bytes[bytes.length - 9] = bytes[bytes.length - 9]! ^ 1;
    writeFileSync(same, bytes);
    const changed = await reconstructMarket({
      ...base,
      outDir,
      inputs: {...sim.inputs, deltas: same},
      resume: true
    }).catch((e: Error) => e);
    expect((changed as Error).message).toContain("same size but other content");
    expect(tree(outDir)).toEqual(before);

    // The right inputs continue it, to the clean run's rows.
    const resumed = await reconstructMarket({...base, outDir, resume: true});
    expect(await fingerprint(resumed.path)).toEqual(await fingerprint(clean.path));
  });
});
