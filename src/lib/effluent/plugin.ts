import {readFileSync} from "node:fs";
import {LabError} from "../core/errors.js";
import type {Plugin} from "../catalog/plugin.js";
import {analyzeEffluent} from "./analyze.js";
import {defaultEffluentConfig} from "./config.js";
import {readEffluentInputs, simulateFeeds} from "./pipeline.js";
import {readMpcbExport} from "./read-feeds.js";
import {effluentColumns} from "./tables.js";

/**
 * Runs a `*.sim.json` plant spec: the simulator writes the feeds a real site would deliver (MPCB
 * export and factory CSVs), which are read back through the same readers as real data, analysed,
 * and published with the simulator's truth tables.
 */
export const effluentSimulationPlugin: Plugin = {
  name: "effluent-simulation",
  tags: ["sim:cetp-plant"],
  topics: Object.keys(effluentColumns),
  version: 1,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as {seed?: unknown; days?: unknown};
    if (typeof spec.seed !== "number")
      throw new LabError({file: file.relPath, column: "seed", reason: '"seed" must be a number'});
    const days = spec.days === undefined ? 30 : Number(spec.days);
    const {simulation, cetpPath, factoryDir} = simulateFeeds({dir: ctx.scratchDir, seed: spec.seed, days});
    const inputs = await readEffluentInputs({cetpPath, factoryPaths: [factoryDir]});
    const analysis = analyzeEffluent({cetp: inputs.cetp, factories: inputs.factories, config: defaultEffluentConfig});
    const tables: Record<string, Iterable<object>> = {
      cetp_readings: inputs.cetp,
      factory_readings: analysis.factoryReadings,
      shock_events: analysis.shocks,
      attributions: analysis.attributions,
      tamper_events: analysis.tamper,
      travel_times: analysis.travel.map((t) => ({...t, clarity: Number.isFinite(t.clarity) ? t.clarity : null})),
      truth_shocks: simulation.truthShocks,
      truth_tamper: simulation.truthTamper
    };
    for (const [topic, rows] of Object.entries(tables))
      await ctx.publish(topic, {columns: effluentColumns[topic]!, rows});
    ctx.log(
      `${file.relPath}: ${analysis.shocks.length} shocks, ${analysis.tamper.length} tamper findings over ${days} days`
    );
  }
};

/**
 * MPCB exports dropped into the inbox (or appended by `lab serve mpcb`): read with the strict
 * MPCB reader and published as `cetp_live_readings`; a new version of the file republishes it.
 */
export const mpcbExportPlugin: Plugin = {
  name: "effluent-mpcb-export",
  tags: ["effluent:mpcb"],
  topics: ["cetp_live_readings"],
  version: 1,
  async execute(ctx, file) {
    const report = await readMpcbExport({path: file.path, file: file.relPath});
    await ctx.publish("cetp_live_readings", {columns: effluentColumns.cetp_readings!, rows: report.rows});
    ctx.log(
      `${file.relPath}: ${report.rows.length} readings (${report.duplicates} duplicate timestamps dropped, ${report.outOfOrder} out of order)`
    );
  }
};
