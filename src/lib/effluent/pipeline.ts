import {existsSync, readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import {LabError} from "../core/errors.js";
import type {Pipeline} from "../core/pipeline.js";
import {writeParquet} from "../core/parquet-write.js";
import {createRng} from "../core/random.js";
import {analyzeEffluent, type EffluentAnalysis} from "./analyze.js";
import {defaultEffluentConfig, type EffluentConfig} from "./config.js";
import {appendEvidence} from "./evidence-log.js";
import {followEffluent} from "./follow.js";
import {readFactoryFeed, readMpcbExport} from "./read-feeds.js";
import {simulatePlant, type PlantSimulation} from "./simulate.js";
import {effluentColumns} from "./tables.js";
import type {CetpReading, FactoryReading} from "./types.js";
import {writeFactoryFeeds, writeMpcbExport} from "./write-feeds.js";

export interface EffluentInputs {
  cetp: CetpReading[];
  factories: FactoryReading[];
  /** Counts the readers report (duplicates kept out, out-of-order rows sorted). */
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
  const cetp = await readMpcbExport({path: cetpPath, utcOffsetMinutes: config.utcOffsetMinutes});
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
    if (feed.duplicates || feed.outOfOrder)
      notes.push(`${path}: ${feed.duplicates} duplicate readings dropped, ${feed.outOfOrder} out of order sorted`);
    factories.push(...feed.rows);
  }
  factories.sort((a, b) => a.ts.getTime() - b.ts.getTime() || a.factory_id.localeCompare(b.factory_id));
  return {cetp: cetp.rows, factories, notes};
}

/** Writes every effluent table as `<table>.parquet` into `outDir`; returns what was written. */
export async function writeEffluentTables({
  outDir,
  inputs,
  analysis,
  simulation
}: {
  outDir: string;
  inputs: EffluentInputs;
  analysis: EffluentAnalysis;
  simulation?: PlantSimulation;
}): Promise<{name: string; path: string; rows: number}[]> {
  const tables: [string, Iterable<object>][] = [
    ["cetp_readings", inputs.cetp],
    ["factory_readings", analysis.factoryReadings],
    ["shock_events", analysis.shocks],
    ["attributions", analysis.attributions],
    ["tamper_events", analysis.tamper],
    ["travel_times", analysis.travel.map((t) => ({...t, clarity: Number.isFinite(t.clarity) ? t.clarity : null}))]
  ];
  if (simulation) tables.push(["truth_shocks", simulation.truthShocks], ["truth_tamper", simulation.truthTamper]);
  const written = [];
  for (const [name, rows] of tables) {
    const path = join(outDir, `${name}.parquet`);
    const result = await writeParquet({path, columns: effluentColumns[name]!, rows});
    written.push({name, path, rows: result.rows});
  }
  return written;
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
  title: "Effluent shocks",
  summary: "CETP inlet COD shocks attributed to the factory that caused them; sensor tampering detected.",
  page: "/pages/effluent/",
  usage:
    "lab run effluent --cetp FILE --factories DIR|FILE[,…] --out DIR   (or --simulate [--days 30] [--seed N] to generate a plant;\n             --follow FILE --factories DIR --out DIR [--webhook URL] to follow a growing export live)",
  tables: [
    {name: "cetp_readings", description: "CETP inlet and outlet, one row a minute (with gaps)"},
    {name: "factory_readings", description: "each factory's discharge sensor, with tamper status"},
    {name: "shock_events", description: "inlet COD breaches of the threshold"},
    {name: "attributions", description: "one row per shock and method: the factory blamed and the evidence"},
    {name: "tamper_events", description: "frozen, blackout, dilution and fingerprint findings"}
  ],
  async run({outDir, seed, flags, log}) {
    const config = defaultEffluentConfig;
    if (typeof flags.follow === "string") {
      const controller = new AbortController();
      process.once("SIGINT", () => controller.abort());
      process.once("SIGTERM", () => controller.abort());
      const factoryPaths = typeof flags.factories === "string" ? flags.factories.split(",") : [];
      if (!factoryPaths.length) throw new LabError({reason: "--factories DIR is required with --follow"});
      const counts = await followEffluent({
        cetpPath: flags.follow,
        factoryPaths,
        outDir,
        config,
        signal: controller.signal,
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
    if (flags.simulate || !cetpPath) {
      const fed = simulateFeeds({dir: join(outDir, "inputs"), seed, days: flags.days ? Number(flags.days) : undefined});
      ({simulation, cetpPath} = fed);
      factoryPaths = [fed.factoryDir];
      log(`simulated a ${flags.days ?? 30}-day plant (seed ${seed}) → ${join(outDir, "inputs")}`);
    }
    if (!factoryPaths.length) throw new LabError({reason: "--factories DIR is required with --cetp"});
    for (const p of [cetpPath!, ...factoryPaths])
      if (!existsSync(p)) throw new LabError({file: p, reason: "no such file or folder"});
    const inputs = await readEffluentInputs({cetpPath: cetpPath!, factoryPaths, config});
    for (const note of inputs.notes) log(note);
    const analysis = analyzeEffluent({cetp: inputs.cetp, factories: inputs.factories, config});
    const tables = await writeEffluentTables({outDir, inputs, analysis, simulation});
    const evidence = appendEvidence({
      path: join(outDir, "evidence_log.jsonl"),
      attributions: analysis.attributions.filter((a) => a.method === "robust_lag" && a.factory_id)
    });
    log(
      `effluent: ${analysis.shocks.length} shocks, ${analysis.attributions.filter((a) => a.method === "robust_lag" && a.factory_id).length} attributed, ${analysis.tamper.length} tamper findings; evidence log +${evidence.appended} (${evidence.skipped} already there)`
    );
    return {tables};
  }
};
