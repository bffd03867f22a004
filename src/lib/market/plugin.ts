import {readFileSync} from "node:fs";
import type {Plugin} from "../catalog/plugin.js";
import {pluginSink} from "../catalog/plugin-sink.js";
import {runMarketTables, type MarketSimSpec} from "./pipeline.js";
import {marketTables} from "./tables.js";

/**
 * A `*.sim.json` market spec (`{seed, minutes, dropDeltaRate?, originJitterMs?}`): every market
 * table of the simulated market (see runMarketTables); `book_samples` comes from `lab run market`
 * on history files only.
 */
export const marketSimulationPlugin: Plugin = {
  name: "market-simulation",
  tags: ["sim:market"],
  topics: marketTables.map((t) => t.name).filter((t) => t !== "book_samples"),
  version: 4,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as MarketSimSpec;
    await runMarketTables({spec, scratchDir: ctx.scratchDir, sink: pluginSink(ctx), log: ctx.log, file: file.relPath});
  }
};
