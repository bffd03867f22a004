import {existsSync, readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import {LabError} from "../../core/errors.js";
import {observationFromCapture} from "../fidelity/observations.js";
import type {MarketObservation} from "../fidelity/report.js";
import {FINISHED_CAPTURE} from "../live/capture-file.js";

/** Files of a dataset folder that are not recordings: options, history tables, simulation specs. */
const NOT_A_RECORDING = /(^dataset\.json$|\.(parquet|csv|csv\.gz)$|\.sim\.json$)/i;

/**
 * What `--calibrate` reads: a capture folder (the lab's capture files), a recording file (lab
 * capture lines or `<local_ns> <json>` lines, gzipped or not), or a market dataset folder holding
 * recordings (the first in name order is read). Read by the fidelity report's golden reader, so a
 * recording calibrates exactly what `lab fidelity` compares.
 */
export function observationOfSource({path, key}: {path: string; key?: Buffer}): {
  observation: MarketObservation;
  file: string;
} {
  if (!existsSync(path))
    throw new LabError({
      file: path,
      reason: "not found",
      hint: "give a capture folder, a recording file or a market dataset folder"
    });
  if (statSync(path).isFile()) return {observation: observationFromCapture({dir: path, key}), file: path};
  const names = readdirSync(path).sort();
  if (names.some((f) => FINISHED_CAPTURE.test(f)) || names.includes("stream.jsonl"))
    return {observation: observationFromCapture({dir: path, key}), file: path};
  const recording = names.find((f) => !NOT_A_RECORDING.test(f) && statSync(join(path, f)).isFile());
  if (!recording)
    throw new LabError({
      file: path,
      reason: "no recording here: no capture files and no other file than options and history tables",
      hint: "drop a capture (*.jsonl.gz) or a `<local_ns> <json>` recording into the folder"
    });
  const file = join(path, recording);
  return {observation: observationFromCapture({dir: file, key}), file};
}
