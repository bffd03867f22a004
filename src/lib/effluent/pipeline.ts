import {existsSync, readdirSync, readFileSync, statSync} from "node:fs";
import {join} from "node:path";
import {LabError} from "../core/errors.js";
import {flag} from "../core/flags.js";
import type {Pipeline} from "../core/pipeline.js";
import {folderSink, type TableSink} from "../core/table-sink.js";
import {createRng} from "../core/random.js";
import {analyzeEffluent, type EffluentAnalysis} from "./analyze.js";
import {defaultEffluentConfig, type EffluentConfig} from "./config.js";
import {appendEvidence, headPathFor} from "./evidence-log.js";
import {followEffluent} from "./follow.js";
import {readFactoryFeed, readMpcbExport, type ReadingProblem} from "./read-feeds.js";
import {simulatePlant, type PlantSimulation} from "./simulate.js";
import {effluentColumns, type EffluentTable} from "./tables.js";
import type {CetpReading, FactoryReading} from "./types.js";
import {writeFactoryFeeds, writeMpcbExport} from "./write-feeds.js";

const EVIDENCE_LOG = "evidence_log.jsonl";

export interface EffluentInputs {
  cetp: CetpReading[];
  factories: FactoryReading[];
  /** Rows that cannot be real readings, kept out with the reason. */
  quarantine: ReadingProblem[];
  /** Counts the readers report (duplicates kept out, out-of-order rows sorted, rows quarantined). */
  notes: string[];
}

/** Reads an MPCB export and the factory feeds (files, or every *.csv in folders). */
export async function readEffluentInputs({
  cetpPath,
  factoryPaths,
  config = defaultEffluentConfig
}: {
  cetpPath: string;
  factoryPaths: string[];
  config?: EffluentConfig;
}): Promise<EffluentInputs> {
  const notes: string[] = [];
  const quarantine: ReadingProblem[] = [];
  const cetp = await readMpcbExport({path: cetpPath, utcOffsetMinutes: config.utcOffsetMinutes});
  quarantine.push(...cetp.quarantined);
  if (cetp.duplicates || cetp.outOfOrder)
    notes.push(
      `${cetpPath}: ${cetp.duplicates} duplicate timestamps dropped (first kept), ${cetp.outOfOrder} rows out of order sorted`
    );
  const files = factoryPaths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith(".csv"))
          .sort()
          .map((f) => join(p, f))
      : [p]
  );
  if (!files.length) throw new LabError({file: factoryPaths.join(", "), reason: "no factory feeds (*.csv) found"});
  const factories: FactoryReading[] = [];
  for (const path of files) {
    const feed = await readFactoryFeed({path, utcOffsetMinutes: config.utcOffsetMinutes});
    quarantine.push(...feed.quarantined);
    if (feed.duplicates || feed.outOfOrder)
      notes.push(`${path}: ${feed.duplicates} duplicate readings dropped, ${feed.outOfOrder} out of order sorted`);
    factories.push(...feed.rows);
  }
  factories.sort((a, b) => a.ts.getTime() - b.ts.getTime() || a.factory_id.localeCompare(b.factory_id));
  if (quarantine.length)
    notes.push(
      `${quarantine.length} row(s) kept out as implausible (first: ${quarantine[0]!.file}:${quarantine[0]!.line}: ${quarantine[0]!.reason})`
    );
  return {...lastDays({cetp: cetp.rows, factories, days: config.maxSpanDays, notes}), quarantine, notes};
}

/** The readings of the most recent `days` only, with a note when older ones were left out. */
function lastDays({
  cetp,
  factories,
  days,
  notes
}: {
  cetp: CetpReading[];
  factories: FactoryReading[];
  days: number;
  notes: string[];
}): {cetp: CetpReading[]; factories: FactoryReading[]} {
  const last = Math.max(cetp.at(-1)?.ts.getTime() ?? -Infinity, factories.at(-1)?.ts.getTime() ?? -Infinity);
  const from = last - days * 86_400_000;
  const first = Math.min(cetp[0]?.ts.getTime() ?? Infinity, factories[0]?.ts.getTime() ?? Infinity);
  if (!(first < from)) return {cetp, factories};
  notes.push(
    `the readings span ${Math.ceil((last - first) / 86_400_000)} days: analysed over the last ${days} (from ${new Date(from).toISOString()}; maxSpanDays)`
  );
  return {cetp: cetp.filter((r) => r.ts.getTime() >= from), factories: factories.filter((r) => r.ts.getTime() >= from)};
}

/**
 * The effluent pipeline from feeds to tables: reads the MPCB export and the factory feeds, analyses
 * them and writes every effluent table (with the simulator's truth tables when `simulation` is
 * given). Both `lab run effluent` and the catalog's simulation plugin are this call.
 */
export async function runEffluentTables({
  cetpPath,
  factoryPaths,
  simulation,
  config = defaultEffluentConfig,
  sink,
  log = () => {}
}: {
  cetpPath: string;
  factoryPaths: string[];
  simulation?: PlantSimulation;
  config?: EffluentConfig;
  sink: TableSink;
  log?: (line: string) => void;
}): Promise<{inputs: EffluentInputs; analysis: EffluentAnalysis}> {
  const inputs = await readEffluentInputs({cetpPath, factoryPaths, config});
  for (const note of inputs.notes) log(note);
  const analysis = analyzeEffluent({cetp: inputs.cetp, factories: inputs.factories, config});
  const tables: [EffluentTable, Iterable<object>][] = [
    ["cetp_readings", inputs.cetp],
    ["factory_readings", analysis.factoryReadings],
    ["shock_events", analysis.shocks],
    ["attributions", analysis.attributions],
    ["tamper_events", analysis.tamper],
    ["travel_times", analysis.travel.map((t) => ({...t, clarity: Number.isFinite(t.clarity) ? t.clarity : null}))],
    ["effluent_quarantine", inputs.quarantine]
  ];
  if (simulation) tables.push(["truth_shocks", simulation.truthShocks], ["truth_tamper", simulation.truthTamper]);
  for (const [name, rows] of tables) await sink.write(name, {columns: effluentColumns[name], rows});
  return {inputs, analysis};
}

/** Simulates a plant and writes its feeds as the files a real site would deliver. */
export function simulateFeeds({dir, seed, days}: {dir: string; seed: number; days?: number}): {
  simulation: PlantSimulation;
  cetpPath: string;
  factoryDir: string;
} {
  const simulation = simulatePlant({rng: createRng(seed), days});
  const cetpPath = join(dir, "cetp_mpcb_export.csv");
  const factoryDir = join(dir, "factories");
  writeMpcbExport({path: cetpPath, readings: simulation.cetp});
  writeFactoryFeeds({dir: factoryDir, readings: simulation.factories});
  return {simulation, cetpPath, factoryDir};
}

export const effluentPipeline: Pipeline = {
  name: "effluent",
  usage:
    "lab run effluent --cetp FILE --factories DIR|FILE[,…] --out DIR   (or --simulate [--days 30] [--seed N], or a *.sim.json plant spec, to generate a plant;\n             --follow FILE --factories DIR --out DIR [--webhook URL] to follow a growing export live, writing into DIR as it goes)",
  flags: [
    flag.string("cetp"),
    flag.string("factories"),
    flag.boolean("simulate"),
    flag.count("days"),
    flag.string("follow"),
    flag.string("webhook")
  ],
  // --follow is watched while it runs, so it writes in place; a batch run keeps its evidence log growing.
  outputMode: ({flags}) =>
    flags.follow ? {kind: "in-place"} : {kind: "replace", carry: [EVIDENCE_LOG, headPathFor(EVIDENCE_LOG)]},
  async run({dataset, files, outDir, seed, flags, log, signal}) {
    const config = defaultEffluentConfig;
    if (typeof flags.follow === "string") {
      const factoryPaths = typeof flags.factories === "string" ? flags.factories.split(",") : [];
      if (!factoryPaths.length) throw new LabError({reason: "--factories DIR is required with --follow"});
      const counts = await followEffluent({
        cetpPath: flags.follow,
        factoryPaths,
        outDir,
        config,
        signal: signal ?? new AbortController().signal,
        webhookUrl: typeof flags.webhook === "string" ? flags.webhook : undefined,
        log,
        onFinding: (f) => log(`${f.table}: ${JSON.stringify(f.row)}`)
      });
      log(`followed: ${counts.shocks} shocks, ${counts.attributions} attributions, ${counts.tamper} tamper findings`);
      return {tables: []};
    }
    let cetpPath = typeof flags.cetp === "string" ? flags.cetp : undefined;
    let factoryPaths = typeof flags.factories === "string" ? flags.factories.split(",") : [];
    let simulation: PlantSimulation | undefined;
    const specFile = files.find((f) => f.endsWith(".json"));
    if (flags.simulate || specFile || !cetpPath) {
      // A *.sim.json plant spec runs what the catalog's simulation plugin runs for it.
      const spec = specFile
        ? (JSON.parse(readFileSync(specFile, "utf-8")) as {seed?: number; days?: number})
        : {seed, days: flags.days ? Number(flags.days) : undefined};
      const days = spec.days ?? 30;
      const fed = simulateFeeds({dir: join(outDir, "inputs"), seed: spec.seed ?? seed, days});
      ({simulation, cetpPath} = fed);
      factoryPaths = [fed.factoryDir];
      log(`simulated a ${days}-day plant (seed ${spec.seed ?? seed}) → ${join(outDir, "inputs")}`);
    }
    if (!factoryPaths.length) throw new LabError({reason: "--factories DIR is required with --cetp"});
    for (const p of [cetpPath!, ...factoryPaths])
      if (!existsSync(p)) throw new LabError({file: p, reason: "no such file or folder"});
    const sink = folderSink({outDir, dataset: dataset.name});
    const {analysis} = await runEffluentTables({cetpPath: cetpPath!, factoryPaths, simulation, config, sink, log});
    const evidence = appendEvidence({
      path: join(outDir, EVIDENCE_LOG),
      attributions: analysis.attributions.filter((a) => a.method === "robust_lag" && a.factory_id)
    });
    log(
      `effluent: ${analysis.shocks.length} shocks, ${analysis.attributions.filter((a) => a.method === "robust_lag" && a.factory_id).length} attributed, ${analysis.tamper.length} tamper findings; evidence log +${evidence.appended} (${evidence.skipped} already there)`
    );
    return {tables: sink.tables};
  }
};
