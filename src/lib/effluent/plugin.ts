import {readFileSync} from "node:fs";
import {LabError} from "../core/errors.js";
import type {Plugin} from "../catalog/plugin.js";
import {pluginSink} from "../catalog/plugin-sink.js";
import {runEffluentTables, simulateFeeds} from "./pipeline.js";
import {readMpcbExport} from "./read-feeds.js";
import {effluentColumns, effluentTables} from "./tables.js";

/**
 * Runs a `*.sim.json` plant spec: the simulator writes the feeds a real site would deliver (MPCB
 * export and factory CSVs), which are read back through the same readers as real data, analysed,
 * and published with the simulator's truth tables.
 */
export const effluentSimulationPlugin: Plugin = {
  name: "effluent-simulation",
  tags: ["sim:cetp-plant"],
  topics: effluentTables.map((t) => t.name).filter((t) => t !== "cetp_live_readings"),
  version: 2,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as {seed?: unknown; days?: unknown};
    if (typeof spec.seed !== "number")
      throw new LabError({file: file.relPath, column: "seed", reason: '"seed" must be a number'});
    const days = spec.days === undefined ? 30 : Number(spec.days);
    const {simulation, cetpPath, factoryDir} = simulateFeeds({dir: ctx.scratchDir, seed: spec.seed, days});
    const {analysis} = await runEffluentTables({
      cetpPath,
      factoryPaths: [factoryDir],
      simulation,
      sink: pluginSink(ctx)
    });
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
  version: 2,
  async execute(ctx, file) {
    const report = await readMpcbExport({path: file.path, file: file.relPath});
    await ctx.publish("cetp_live_readings", {columns: effluentColumns.cetp_readings, rows: report.rows});
    ctx.log(
      `${file.relPath}: ${report.rows.length} readings (${report.duplicates} duplicate timestamps dropped, ${report.outOfOrder} out of order)`
    );
  }
};
