import {existsSync, readdirSync, readFileSync, statSync} from "node:fs";
import {join} from "node:path";
import {LabError} from "../core/errors.js";
import {flag} from "../core/flags.js";
import type {Pipeline} from "../core/pipeline.js";
import {folderSink, type TableSink} from "../core/table-sink.js";
import {createRng} from "../core/random.js";
import type {EffluentAnalysis} from "./analyze.js";
import {defaultSiteOptions, effluentDatasetOptions, type EffluentSiteOptions} from "./dataset-options.js";
import {appendEvidence, headPathFor} from "./evidence-log.js";
import {followEffluent} from "./follow.js";
import {simulatePlant, type PlantSimulation} from "./simulate.js";
import {scoreAttribution} from "./score.js";
import {classifySiteFiles, readEffluentInputs, type EffluentInputs} from "./site-inputs.js";
import {isTrialTruthFile, readTrialTruth} from "./trial-files.js";
import {writeSiteTables} from "./site-tables.js";
import {effluentColumns} from "./tables.js";
import {writeFactoryFeeds, writeMpcbExport} from "./write-feeds.js";

const EVIDENCE_LOG = "evidence_log.jsonl";

export {readEffluentInputs, type EffluentInputs};

/**
 * The effluent pipeline from feeds to tables: reads the MPCB export(s) and the factory feeds with
 * the site's options, analyses them and writes every effluent table (with the simulator's truth
 * tables when `simulation` is given). `lab run effluent` (files, a site folder or a simulation) and
 * the catalog's simulation plugin are this call; the catalog's per-site derivation shares
 * `writeSiteTables`.
 */
export async function runEffluentTables({
  cetpPath,
  cetpPaths = cetpPath ? [cetpPath] : [],
  factoryPaths,
  simulation,
  site = defaultSiteOptions(),
  sink,
  log = () => {}
}: {
  cetpPath?: string;
  cetpPaths?: string[];
  factoryPaths: string[];
  /** The injected truth to write beside the analysis: a simulated plant's, or a trial site's. */
  simulation?: Pick<PlantSimulation, "truthShocks" | "truthTamper">;
  site?: EffluentSiteOptions;
  sink: TableSink;
  log?: (line: string) => void;
}): Promise<{inputs: EffluentInputs; analysis: EffluentAnalysis}> {
  const inputs = await readEffluentInputs({cetpPaths, factoryPaths, site});
  for (const note of inputs.notes) log(note);
  const analysis = await writeSiteTables({...inputs, site, sink, log});
  await sink.write("effluent_quarantine", {columns: effluentColumns.effluent_quarantine, rows: inputs.quarantine});
  if (simulation)
    for (const [name, rows] of [
      ["truth_shocks", simulation.truthShocks],
      ["truth_tamper", simulation.truthTamper]
    ] as const)
      await sink.write(name, {columns: effluentColumns[name], rows});
  if (simulation?.truthShocks.length) {
    const score = scoreAttribution({
      events: analysis.shocks,
      attributions: analysis.attributions,
      truth: simulation.truthShocks,
      method: "robust_lag"
    });
    log(
      `scored against the injected truth: ${score.correct} of ${score.factoryShocks} injected shocks attributed to the right factory; ${score.falselyAttributed} of ${score.noFactoryEvents} other crossings blamed on a factory`
    );
  }
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
    "lab run effluent --cetp FILE --factories DIR|FILE[,…] --out DIR   (or --dataset SITE_DIR: a site's export and feeds, told apart by their headers, with its dataset.json;\n             or --simulate [--days 30] [--seed N], or a *.sim.json plant spec, to generate a plant;\n             --follow FILE --factories DIR --out DIR [--webhook URL] to follow a growing export live, writing into DIR as it goes)",
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
    const site = effluentDatasetOptions(dataset);
    if (typeof flags.follow === "string") {
      const factoryPaths = typeof flags.factories === "string" ? flags.factories.split(",") : [];
      if (!factoryPaths.length) throw new LabError({reason: "--factories DIR is required with --follow"});
      const counts = await followEffluent({
        cetpPath: flags.follow,
        factoryPaths,
        outDir,
        site,
        signal: signal ?? new AbortController().signal,
        webhookUrl: typeof flags.webhook === "string" ? flags.webhook : undefined,
        log,
        onFinding: (f) => log(`${f.table}${f.update ? " (updated)" : ""}: ${JSON.stringify(f.row)}`)
      });
      log(`followed: ${counts.shocks} shocks, ${counts.attributions} attributions, ${counts.tamper} tamper findings`);
      return {tables: []};
    }
    const sources = await effluentSources({files, flags, outDir, seed, log});
    for (const p of [...sources.cetpPaths, ...sources.factoryPaths])
      if (!existsSync(p)) throw new LabError({file: p, reason: "no such file or folder"});
    const sink = folderSink({outDir, dataset: dataset.name});
    const {analysis} = await runEffluentTables({...sources, site, sink, log});
    const blamed = analysis.attributions.filter((a) => a.method === "robust_lag" && a.factory_id);
    const evidence = appendEvidence({path: join(outDir, EVIDENCE_LOG), attributions: blamed});
    log(
      `effluent: ${analysis.shocks.length} shocks, ${blamed.length} attributed, ${analysis.tamper.length} tamper findings; evidence log +${evidence.appended} (${evidence.skipped} already there)`
    );
    return {tables: sink.tables};
  }
};

/**
 * Where a run's readings come from: --cetp and --factories, a site folder's files (exports and
 * feeds told apart by their headers), or a simulated plant (--simulate, a *.sim.json spec, or no
 * input at all).
 */
async function effluentSources({
  files,
  flags,
  outDir,
  seed,
  log
}: {
  files: string[];
  flags: Record<string, string | boolean>;
  outDir: string;
  seed: number;
  log: (line: string) => void;
}): Promise<{
  cetpPaths: string[];
  factoryPaths: string[];
  simulation?: Pick<PlantSimulation, "truthShocks" | "truthTamper">;
}> {
  const specFile = files.find((f) => f.endsWith(".sim.json"));
  const csvFiles = files.filter((f) => /\.csv(\.gz)?$/i.test(f));
  if (typeof flags.cetp === "string" && !flags.simulate) {
    const factoryPaths = typeof flags.factories === "string" ? flags.factories.split(",") : [];
    if (!factoryPaths.length) throw new LabError({reason: "--factories DIR is required with --cetp"});
    return {cetpPaths: [flags.cetp], factoryPaths};
  }
  if (!flags.simulate && !specFile && csvFiles.length) {
    const {exports, feeds} = await classifySiteFiles({files: csvFiles});
    if (!exports.length)
      throw new LabError({
        file: csvFiles[0],
        reason: "no MPCB export among the site's files (none has the export's Time and CETP_INLET-COD columns)",
        hint: "a site folder holds its MPCB export and its factory feeds (factories/*.csv)"
      });
    log(`site: ${exports.length} MPCB export(s), ${feeds.length} factory feed(s)`);
    // A trial site (simulated factories on the site's export) carries the truth to score against.
    const truthFile = files.find(isTrialTruthFile);
    if (!truthFile) return {cetpPaths: exports, factoryPaths: feeds};
    const truthShocks = readTrialTruth({path: truthFile});
    log(`trial: ${truthShocks.length} injected shocks in ${truthFile}`);
    return {cetpPaths: exports, factoryPaths: feeds, simulation: {truthShocks, truthTamper: []}};
  }
  // A *.sim.json plant spec runs what the catalog's simulation plugin runs for it.
  const spec = specFile
    ? (JSON.parse(readFileSync(specFile, "utf-8")) as {seed?: number; days?: number})
    : {seed, days: flags.days ? Number(flags.days) : undefined};
  const days = spec.days ?? 30;
  const fed = simulateFeeds({dir: join(outDir, "inputs"), seed: spec.seed ?? seed, days});
  log(`simulated a ${days}-day plant (seed ${spec.seed ?? seed}) → ${join(outDir, "inputs")}`);
  return {cetpPaths: [fed.cetpPath], factoryPaths: [fed.factoryDir], simulation: fed.simulation};
}
