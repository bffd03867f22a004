/**
 * The catalog's calibration: for a dataset whose `market_recording_files` lists a recording, the
 * derivation writes `market_calibration` (7 rows, with the dataset), and refuses a file that
 * changed since it was listed. The listing topic is published here as its plugin writes it.
 */
import {appendFileSync, mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {labPaths} from "../../../src/lib/catalog/paths.js";
import {openDuckDB} from "../../../src/lib/core/duckdb.js";
import {LabError} from "../../../src/lib/core/errors.js";
import {sha256File} from "../../../src/lib/core/hash.js";
import {writeParquet} from "../../../src/lib/core/parquet-write.js";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {quoteString} from "../../../src/lib/core/sql.js";
import {columns} from "../../../src/lib/domain.js";
import {calibrationSource, marketCalibrationDerivation} from "../../../src/lib/market/calibration-dataset.js";
import {realisticRecording} from "../../../src/lib/market/sim/recording-generator.js";

/** `market_recording_files` as the dataset listing plugin publishes it. */
const RECORDING_FILES_COLUMNS = columns(
  "kind:VARCHAR",
  "rel_path:VARCHAR",
  "path:VARCHAR",
  "content_hash:VARCHAR",
  "first_ns:BIGINT",
  "last_ns:BIGINT",
  "messages:BIGINT",
  "symbol:VARCHAR"
);

async function derive(root: string, recording: string, hash: string) {
  const listing = join(root, `listing-${Date.now()}.parquet`);
  await writeParquet({
    path: listing,
    columns: RECORDING_FILES_COLUMNS,
    rows: [
      {
        kind: "recording",
        rel_path: "market/btcusdt/spot.txt",
        path: recording,
        content_hash: hash,
        first_ns: 1_765_000_000_000_000_000n,
        last_ns: 1_765_000_180_000_000_000n,
        messages: 14_000,
        symbol: "BTCUSDT"
      }
    ]
  });
  const duck = await openDuckDB();
  const outDir = join(root, `out-${Date.now()}`);
  mkdirSync(outDir);
  try {
    await duck.run(`CREATE VIEW market_recording_files AS SELECT * FROM read_parquet(${quoteString(listing)})`);
    const outputs = await marketCalibrationDerivation.run({
      paths: labPaths({projectDir: root, labDir: ".lab"}),
      dataset: {name: "btcusdt", options: {}, optionsFile: "dataset.json"},
      topics: ["market_recording_files"],
      duck,
      outDir,
      outRel: "derived/market_calibration",
      cacheDir: join(root, "cache"),
      log: () => {}
    });
    return {outputs, outDir};
  } finally {
    duck.close();
  }
}

describe("the calibration derivation", () => {
  let root: string;
  let recording: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "calibrate-derivation-"));
    recording = join(root, "spot.txt");
    writeFileSync(recording, realisticRecording({seed: 3, minutes: 3}).text);
  });

  test("reads the largest recording, or else the capture files' folder", () => {
    const f = (kind: string, rel_path: string, messages: number) => ({
      kind,
      rel_path,
      path: `/d/${rel_path}`,
      content_hash: "x",
      messages
    });
    expect(calibrationSource([f("recording", "a.txt", 10), f("recording", "b.txt", 20)])?.path).toBe("/d/b.txt");
    expect(calibrationSource([f("capture", "cap/1.jsonl.gz", 5), f("capture", "cap/2.jsonl.gz", 5)])?.path).toBe(
      "/d/cap"
    );
    expect(calibrationSource([])).toBeUndefined();
  });

  test("writes market_calibration for the dataset", async () => {
    const {outputs, outDir} = await derive(root, recording, await sha256File({path: recording}));
    expect(outputs.map((o) => [o.topic, o.rows, o.path])).toEqual([
      ["market_calibration", 7, "derived/market_calibration/market_calibration.parquet"]
    ]);
    const rows = await readParquetAll({
      path: join(outDir, "market_calibration.parquet"),
      sql: "SELECT dataset, statistic, source, passed, uncalibrated_passed, train_seconds FROM t"
    });
    expect(new Set(rows.map((r) => r.dataset))).toEqual(new Set(["btcusdt"]));
    expect(rows.map((r) => r.source)).toEqual(Array(7).fill("market/btcusdt/spot.txt"));
    expect(rows.filter((r) => r.passed).length).toBeGreaterThan(rows.filter((r) => r.uncalibrated_passed).length);
    expect(rows[0]!.train_seconds as number).toBeGreaterThan(80);
  }, 240_000);

  test("refuses a recording that changed since it was listed", async () => {
    const hash = await sha256File({path: recording});
    appendFileSync(recording, "\n");
    const error = await derive(root, recording, hash).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).message).toMatch(/spot\.txt.*changed since it was scanned/s);
  });
});
