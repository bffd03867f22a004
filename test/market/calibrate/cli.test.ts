/**
 * `lab simulate market --calibrate` on a recording file and on a dataset folder holding one: the
 * held-out check printed and written as market_calibration (7 rows), the parameters fitted to the
 * whole recording, and a simulation with them in the files `lab simulate market` writes.
 */
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {observationOfSource} from "../../../src/lib/market/calibrate/source.js";
import {realisticRecording} from "../../../src/lib/market/sim/recording-generator.js";
import {runNode} from "../../run-node.js";

const root = join(import.meta.dirname, "..", "..", "..");

describe("lab simulate market --calibrate", () => {
  let dir: string;
  let dataset: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "calibrate-cli-"));
    dataset = join(dir, "datasets", "market", "btcusdt");
    mkdirSync(dataset, {recursive: true});
    writeFileSync(join(dataset, "btcusdt-spot.txt"), realisticRecording({seed: 2, minutes: 3}).text);
    writeFileSync(join(dataset, "dataset.json"), "{}");
  });

  test("a dataset folder: the recording in it is read, not its options", () => {
    const {file, observation} = observationOfSource({path: dataset});
    expect(file).toBe(join(dataset, "btcusdt-spot.txt"));
    expect(observation.samples.tNs.length).toBeGreaterThan(1700);
    expect(() => observationOfSource({path: join(dir, "nothing")})).toThrow(/not found/);
  });

  test("writes the table, the fitted parameters and a simulation with them", async () => {
    const out = join(dir, "out");
    const run = await runNode(
      ["--import", "tsx", "cli/lab.ts", "simulate", "market", "--calibrate", dataset, "--out", out, "--minutes", "0.5"],
      {cwd: root, timeoutMs: 240_000}
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/of 7 KS tests pass \(uncalibrated: \d of 7\)/);
    const rows = await readParquetAll({
      path: join(out, "market_calibration.parquet"),
      sql: "SELECT statistic, summary, recording_value, calibrated_value, uncalibrated_value, ks_statistic, p_value, passed, dataset, source, json_extract(fitted, '$.tick_size')::DOUBLE AS tick FROM t"
    });
    expect(rows.map((r) => r.statistic)).toEqual([
      "trade_size",
      "inter_trade_ms",
      "spread",
      "top_depth",
      "depth_5",
      "mid_return_ticks",
      "imbalance_5"
    ]);
    for (const r of rows) {
      expect(r.p_value as number).toBeGreaterThanOrEqual(0);
      expect(r.p_value as number).toBeLessThanOrEqual(1);
      expect(r.passed).toBe((r.p_value as number) >= 0.05);
      expect(Number.isFinite(r.recording_value)).toBe(true);
      expect(r.tick).toBe(0.01);
    }
    const fitted = JSON.parse(readFileSync(join(out, "calibration.json"), "utf-8"));
    expect(fitted.config.tickSize).toBe(0.01);
    expect(fitted.config.marketHawkes.baselinePerS).toBeGreaterThan(0);
    for (const f of ["history/trades.parquet", "history/book.parquet", "history/book_delta_v2.parquet"])
      expect(existsSync(join(out, f)), f).toBe(true);
    const [trades] = await readParquetAll({
      path: join(out, "history", "trades.parquet"),
      sql: "SELECT count(*)::INT AS n, avg(quantity)::DOUBLE AS size FROM t"
    });
    // Half a minute at the recording's ~23 trades a second; sizes of its order (0.002 BTC).
    expect(trades!.n as number).toBeGreaterThan(300);
    expect(trades!.size as number).toBeGreaterThan(0.0005);
    expect(trades!.size as number).toBeLessThan(0.01);
  }, 300_000);
});
