import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from "node:fs";
import {basename, dirname, join} from "node:path";
import {gunzipSync} from "node:zlib";
import {DATASET_OPTIONS_FILE, parseDatasetOptions, readDatasetFolder} from "../core/dataset.js";
import {LabError} from "../core/errors.js";
import {effluentDatasetOptions} from "./dataset-options.js";
import type {TruthShock} from "./simulate.js";
import {classifySiteFiles} from "./site-inputs.js";
import {simulateTrial, type TrialTruth} from "./trial.js";

/** The truth file of a trial site: what was injected, for scoring (routed to `truth_shocks` by the catalog). */
export const TRIAL_TRUTH_FILE = "trial.truth.json";

/** Whether a file is a trial's truth file (`trial.truth.json`, or any `*.truth.json`). */
export const isTrialTruthFile = (path: string) => /\.truth\.json$/i.test(path);

/** The site options a trial's copy keeps: all but the feed mapping, which named the real feeds. */
function trialOptions(options: Record<string, unknown>): Record<string, unknown> {
  const {factories: _realFeeds, factoryColumns: _realColumns, ...kept} = options;
  return kept;
}

/** The export file(s) and dataset.json options of a site folder, or of one export file (and the dataset.json beside it). */
async function sourceExports(
  source: string
): Promise<{paths: string[]; options: Record<string, unknown>; optionsFile: string}> {
  if (!existsSync(source)) throw new LabError({file: source, reason: "no such file or folder"});
  if (statSync(source).isDirectory()) {
    const {dataset, files} = readDatasetFolder({dir: source, pipeline: "effluent"});
    const {exports} = await classifySiteFiles({files: files.filter((f) => /\.csv(\.gz)?$/i.test(f))});
    if (!exports.length)
      throw new LabError({
        file: source,
        reason: "no MPCB export in the site folder (no CSV has the export's Time and CETP_INLET-COD columns)"
      });
    return {paths: exports, options: dataset.options, optionsFile: dataset.optionsFile};
  }
  const optionsFile = join(dirname(source), DATASET_OPTIONS_FILE);
  const options = existsSync(optionsFile)
    ? parseDatasetOptions({text: readFileSync(optionsFile, "utf-8"), file: optionsFile})
    : {};
  return {paths: [source], options, optionsFile};
}

/**
 * `lab simulate effluent --on-export SOURCE --out DIR`: writes a trial site dataset: the site's
 * export(s) with the injected rises (same names, `.gz` unpacked), `factories/F01.csv` …, the site's
 * dataset.json (less its feed mapping) and `trial.truth.json`. DIR must be new or empty.
 */
export async function writeSiteTrial({
  source,
  outDir,
  seed,
  factoryCount,
  shocks
}: {
  source: string;
  outDir: string;
  seed: number;
  factoryCount?: number;
  shocks?: number;
}): Promise<{truth: TrialTruth; files: string[]}> {
  if (existsSync(outDir) && readdirSync(outDir).length)
    throw new LabError({file: outDir, reason: "the trial's folder is not empty", hint: "choose a new --out folder"});
  const {paths, options, optionsFile} = await sourceExports(source);
  const site = effluentDatasetOptions({options, optionsFile});
  const exports = paths.map((path) => {
    const bytes = readFileSync(path);
    const text = (/\.gz$/i.test(path) ? gunzipSync(bytes) : bytes).toString("utf-8");
    return {name: basename(path).replace(/\.gz$/i, ""), text};
  });
  const names = new Set(exports.map((e) => e.name));
  if (names.size !== exports.length)
    throw new LabError({file: source, reason: "two exports in different folders share a name", hint: "rename one"});
  const trial = simulateTrial({exports, site, seed, factoryCount, shocks});
  const files: string[] = [];
  const write = (name: string, text: string) => {
    const path = join(outDir, name);
    mkdirSync(dirname(path), {recursive: true});
    writeFileSync(path, text);
    files.push(path);
  };
  for (const e of [...trial.exports, ...trial.feeds]) write(e.name, e.text);
  const kept = trialOptions(options);
  if (Object.keys(kept).length) write(DATASET_OPTIONS_FILE, JSON.stringify(kept, null, 2) + "\n");
  write(TRIAL_TRUTH_FILE, JSON.stringify(trial.truth, null, 2) + "\n");
  return {truth: trial.truth, files};
}

/** A trial's truth file read back: its injected shocks with Dates, or a LabError naming the file. */
export function readTrialTruth({path, file = path}: {path: string; file?: string}): TruthShock[] {
  let truth: Partial<TrialTruth>;
  try {
    truth = JSON.parse(readFileSync(path, "utf-8")) as Partial<TrialTruth>;
  } catch (error) {
    throw new LabError({file, reason: `not valid JSON: ${(error as Error).message}`, cause: error});
  }
  if (truth.kind !== "effluent-trial" || !Array.isArray(truth.shocks))
    throw new LabError({
      file,
      reason: 'not a trial truth file (expected "kind": "effluent-trial" and a "shocks" list)',
      hint: "lab simulate effluent --on-export writes it"
    });
  return truth.shocks.map((s, i) => {
    const date = (key: "start" | "end" | "inlet_start" | "inlet_end") => {
      const d = new Date(s[key] as unknown as string);
      if (!Number.isFinite(d.getTime()))
        throw new LabError({file, column: `shocks[${i}].${key}`, reason: `not a time: ${JSON.stringify(s[key])}`});
      return d;
    };
    return {
      shock_id: String(s.shock_id),
      factory_id: s.factory_id === null ? null : String(s.factory_id),
      start: date("start"),
      end: date("end"),
      inlet_start: date("inlet_start"),
      inlet_end: date("inlet_end"),
      inlet_rise: Number(s.inlet_rise)
    };
  });
}
