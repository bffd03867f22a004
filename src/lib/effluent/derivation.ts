import type {Derivation, DerivedOutput} from "../catalog/derivation.js";
import {folderSink} from "../core/table-sink.js";
import {effluentDatasetOptions, mappedTravelMinutes} from "./dataset-options.js";
import {MEASURES} from "./mpcb-columns.js";
import {lastDays} from "./site-inputs.js";
import {writeSiteTables} from "./site-tables.js";
import {readingTopics} from "./tables.js";
import type {CetpReading, FactoryReading} from "./types.js";

/** Bump when what the derivation writes for the same readings changes. */
const VERSION = 2;

/**
 * The per-site analysis in the catalog: a site's MPCB export readings and its factory feed readings
 * (published per file by the CSV and simulation plugins) put together and analysed with the site's
 * dataset.json, writing the same tables as `lab run effluent`. It runs once per dataset; several
 * exports of a site (monthly files, the MPCB server's uploads) are one timeline, the first row of
 * a repeated minute kept.
 */
export const effluentDerivation: Derivation = {
  name: "effluent-site",
  module: import.meta.url,
  exportName: "effluentDerivation",
  version: VERSION,
  inputs: [readingTopics.exports, readingTopics.feeds],
  outputs: [
    "cetp_readings",
    "factory_readings",
    "shock_events",
    "attributions",
    "tamper_events",
    "travel_times",
    "effluent_sites"
  ],
  async run({dataset, duck, outDir, outRel, log}): Promise<DerivedOutput[]> {
    const site = effluentDatasetOptions(dataset);
    const cetp = await duck.all<CetpReading>(
      `SELECT ts, ${MEASURES.join(", ")}, extra FROM ${readingTopics.exports} QUALIFY row_number() OVER (PARTITION BY ts) = 1 ORDER BY ts`
    );
    const factories = await duck.all<FactoryReading>(
      `SELECT ts, factory_id, cod, bod, ph, tss, 'OK' AS status FROM ${readingTopics.feeds}
       QUALIFY row_number() OVER (PARTITION BY factory_id, ts) = 1 ORDER BY ts, factory_id`
    );
    const notes: string[] = [];
    const bounded = lastDays({cetp, factories, days: site.config.maxSpanDays, notes});
    const sink = folderSink({outDir, duck, dataset: dataset.name});
    const analysis = await writeSiteTables({
      ...bounded,
      site,
      travelMinutes: mappedTravelMinutes(site),
      notes,
      sink,
      log
    });
    log(
      `effluent ${dataset.name}: ${analysis.shocks.length} shocks, ${analysis.attributions.filter((a) => a.method === "robust_lag" && a.factory_id).length} attributed, ${analysis.tamper.length} tamper findings`
    );
    return sink.tables.map((t) => ({
      topic: t.name,
      path: `${outRel}/${t.name}.parquet`,
      rows: t.rows,
      schema: t.schema
    }));
  }
};
