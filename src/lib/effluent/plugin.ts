import {readFileSync} from "node:fs";
import {LabError} from "../core/errors.js";
import type {Plugin, PluginContext} from "../catalog/plugin.js";
import {effluentDatasetOptions} from "./dataset-options.js";
import {readFactoryFeed, readMpcbExport, FeedRejected, type FeedReport, type ReadingProblem} from "./read-feeds.js";
import {simulateFeeds} from "./pipeline.js";
import {classifySiteFiles, readEffluentInputs} from "./site-inputs.js";
import {readTrialTruth} from "./trial-files.js";
import {effluentColumns, readingTopics} from "./tables.js";
import type {CetpReading, FactoryReading} from "./types.js";

/**
 * Publishes one file's readings: the export's and the feeds' topics both (one of them empty), so
 * the per-site derivation always finds both inputs, and the quarantined rows.
 */
async function publishReadings(
  ctx: PluginContext,
  {
    cetp = [],
    factories = [],
    quarantine
  }: {cetp?: CetpReading[]; factories?: FactoryReading[]; quarantine: ReadingProblem[]}
): Promise<void> {
  await ctx.publish(readingTopics.exports, {columns: effluentColumns.cetp_readings, rows: cetp});
  await ctx.publish(readingTopics.feeds, {columns: effluentColumns.factory_readings, rows: factories});
  await ctx.publish("effluent_quarantine", {columns: effluentColumns.effluent_quarantine, rows: quarantine});
}

/**
 * Runs a `*.sim.json` plant spec: the simulator writes the feeds a real site would deliver (MPCB
 * export and factory CSVs), which are read back through the same readers as real data and
 * published as readings with the simulator's truth tables; the per-site derivation analyses them
 * like any site's.
 */
export const effluentSimulationPlugin: Plugin = {
  name: "effluent-simulation",
  tags: ["sim:cetp-plant"],
  topics: [readingTopics.exports, readingTopics.feeds, "effluent_quarantine", "truth_shocks", "truth_tamper"],
  version: 4,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as {seed?: unknown; days?: unknown};
    if (typeof spec.seed !== "number")
      throw new LabError({file: file.relPath, column: "seed", reason: '"seed" must be a number'});
    const days = spec.days === undefined ? 30 : Number(spec.days);
    const {simulation, cetpPath, factoryDir} = simulateFeeds({dir: ctx.scratchDir, seed: spec.seed, days});
    const inputs = await readEffluentInputs({cetpPath, factoryPaths: [factoryDir]});
    await publishReadings(ctx, inputs);
    await ctx.publish("truth_shocks", {columns: effluentColumns.truth_shocks, rows: simulation.truthShocks});
    await ctx.publish("truth_tamper", {columns: effluentColumns.truth_tamper, rows: simulation.truthTamper});
    ctx.log(`${file.relPath}: a ${days}-day plant, ${simulation.truthShocks.length} shocks injected`);
  }
};

/**
 * A site's CSV files (`datasets/effluent/<site>/…`, and the MPCB server's uploads): an MPCB
 * export or a factory feed, told apart by the header, read with the site's dataset.json and
 * published as readings with the rows quarantined. A file refused as a whole (no good row, or
 * more than half of its rows lost) fails its job with the first reasons, but its good rows and
 * its quarantine stay published, so one bad file never hides a site.
 */
export const effluentCsvPlugin: Plugin = {
  name: "effluent-csv",
  tags: ["effluent:csv"],
  topics: [readingTopics.exports, readingTopics.feeds, "effluent_quarantine"],
  version: 2,
  async execute(ctx, file) {
    const site = effluentDatasetOptions(file.dataset);
    const {exports} = await classifySiteFiles({files: [file.path]});
    const isExport = exports.length > 0;
    const read = isExport ? readMpcbExport : readFactoryFeed;
    let report: FeedReport<CetpReading | FactoryReading>;
    let rejected: FeedRejected | undefined;
    try {
      report = await read({path: file.path, file: file.relPath, site});
    } catch (error) {
      if (!(error instanceof FeedRejected)) throw error;
      ({report} = error);
      rejected = error;
    }
    const quarantine = report.quarantined;
    if (isExport) await publishReadings(ctx, {cetp: report.rows as CetpReading[], quarantine});
    else await publishReadings(ctx, {factories: report.rows as FactoryReading[], quarantine});
    ctx.log(
      `${file.relPath}: ${isExport ? "MPCB export" : "factory feed"}, ${report.rows.length} rows, ${report.quarantined.length} quarantined, ${report.duplicates} duplicates dropped${report.extras.length ? `, column(s) ${report.extras.join(", ")} ignored` : ""}${report.kept.length ? `, column(s) ${report.kept.map((k) => `${k.header} as ${k.key}`).join(", ")} kept in extra` : ""}`
    );
    // The good rows and the quarantine are published; the job still fails, naming the first reasons.
    if (rejected) throw rejected;
  }
};

/**
 * A trial site's truth file (`trial.truth.json`, written by `lab simulate effluent --on-export`):
 * the shocks injected into the site's export, published as that dataset's `truth_shocks` so the
 * effluent page scores the attribution against them as it does for the simulated plant.
 */
export const effluentTrialTruthPlugin: Plugin = {
  name: "effluent-trial-truth",
  tags: ["effluent:trial-truth"],
  topics: ["truth_shocks"],
  version: 1,
  async execute(ctx, file) {
    const shocks = readTrialTruth({path: file.path, file: file.relPath});
    await ctx.publish("truth_shocks", {columns: effluentColumns.truth_shocks, rows: shocks});
    ctx.log(`${file.relPath}: a trial, ${shocks.length} injected shocks to score attribution against`);
  }
};
