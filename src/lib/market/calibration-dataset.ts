/**
 * A market dataset holding a recording (`datasets/market/<dataset>/`: lab capture files or
 * `<local_ns> <json>` recordings, listed per file in `market_recording_files`) gets the held-out
 * check of a simulator calibrated to it: `market_calibration`, one row per KS statistic, for the
 * fidelity page. Like the history replay, it reads the files where they lie, after checking each
 * file's content hash against the version the listing saw.
 */
import {dirname} from "node:path";
import type {Derivation, DerivedOutput} from "../catalog/derivation.js";
import {LabError} from "../core/errors.js";
import {sha256File} from "../core/hash.js";
import {folderSink} from "../core/table-sink.js";
import {holdoutCheck} from "./calibrate/calibrate.js";
import {writeCalibrationTable} from "./calibrate/table.js";
import {observationFromCapture} from "./fidelity/observations.js";
import {captureKeyFromEnv} from "./live/capture-file.js";

interface RecordingFile {
  kind: string;
  rel_path: string;
  path: string;
  content_hash: string;
  messages: number | bigint | null;
}

/** The seed of the catalog's calibration (the page shows one run; `lab simulate market --calibrate --seed` others). */
const SEED = 1;

/**
 * What the check reads: the recording file with the most messages, or else the folder of the
 * capture files (a capture session is one folder of files, read together in time order).
 */
export function calibrationSource(files: RecordingFile[]): {path: string; label: string} | undefined {
  const recordings = files.filter((f) => f.kind === "recording");
  if (recordings.length) {
    const best = recordings.reduce((a, b) => (Number(b.messages ?? 0) > Number(a.messages ?? 0) ? b : a));
    return {path: best.path, label: best.rel_path};
  }
  const capture = files.find((f) => f.kind === "capture");
  return capture ? {path: dirname(capture.path), label: dirname(capture.rel_path)} : undefined;
}

export const marketCalibrationDerivation: Derivation = {
  name: "market-calibration",
  module: import.meta.url,
  exportName: "marketCalibrationDerivation",
  version: 1,
  inputs: ["market_recording_files"],
  outputs: ["market_calibration"],
  async run({dataset, duck, outDir, outRel, log}): Promise<DerivedOutput[]> {
    const files = await duck.all<RecordingFile>(
      "SELECT kind, rel_path, path, content_hash, messages FROM market_recording_files ORDER BY rel_path"
    );
    for (const f of files) {
      const hash = await sha256File({path: f.path}).catch(() => "(unreadable)");
      if (hash !== f.content_hash)
        throw new LabError({
          file: f.rel_path,
          reason: "the file changed since it was scanned",
          hint: "the next ingest pass takes the new version and calibrates on it"
        });
    }
    const source = calibrationSource(files);
    if (!source) return [];
    log(`calibrating the simulator on ${source.label}`);
    const check = holdoutCheck({
      observation: observationFromCapture({dir: source.path, key: captureKeyFromEnv()}),
      seed: SEED
    });
    log(`${check.passed} of 7 KS tests pass on the held-out half (uncalibrated: ${check.uncalibratedPassed})`);
    const sink = folderSink({outDir, duck, dataset: dataset.name});
    await writeCalibrationTable({sink, check, source: source.label, seed: SEED});
    return sink.tables.map((t) => ({
      topic: t.name,
      path: `${outRel}/${t.name}.parquet`,
      rows: t.rows,
      schema: t.schema
    }));
  }
};
