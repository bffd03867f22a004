import type {TableSink} from "../core/table-sink.js";
import {analyzeEffluent, type EffluentAnalysis} from "./analyze.js";
import type {EffluentSiteOptions} from "./dataset-options.js";
import {effluentColumns, type EffluentTable} from "./tables.js";
import type {CetpReading, FactoryReading} from "./types.js";

/** What the analysis of a site that has only its MPCB export says instead of attributing. */
export const EXPORT_ONLY_NOTE =
  "real plant, no factory feeds: this site has only its MPCB export, so shocks and the plant's own outages are found but no factory is checked or blamed";

/**
 * Analyses one site's readings and writes the analysis tables (the same for `lab run effluent`,
 * a site folder, the simulation and the catalog's per-site derivation): cetp_readings,
 * factory_readings, shock_events, attributions, tamper_events, travel_times and effluent_sites
 * (the site's threshold and time zone, where its factory readings come from, what the run noted).
 * A site without factory feeds is said to be one, in effluent_sites and in each attribution.
 */
export async function writeSiteTables({
  cetp,
  factories,
  site,
  travelMinutes,
  notes,
  sink,
  log = () => {}
}: {
  cetp: CetpReading[];
  factories: FactoryReading[];
  site: EffluentSiteOptions;
  travelMinutes?: Record<string, number>;
  notes: string[];
  sink: TableSink;
  log?: (line: string) => void;
}): Promise<EffluentAnalysis> {
  const analysis = analyzeEffluent({cetp, factories, config: site.config, travelMinutes});
  const exportOnly = factories.length === 0;
  if (exportOnly) {
    log(EXPORT_ONLY_NOTE);
    analysis.attributions = analysis.attributions.map((a) => ({...a, evidence: `not attributed: ${EXPORT_ONLY_NOTE}`}));
  }
  const factoryIds = new Set(factories.map((r) => r.factory_id));
  const siteRow = {
    threshold_mgl: site.config.thresholdMgL,
    timezone: site.timeZone,
    time_format: site.timeFormat,
    factory_source: exportOnly ? "none" : "feeds",
    factories: factoryIds.size,
    export_readings: cetp.filter((r) => r.inlet_cod !== null).length,
    first_reading: cetp[0]?.ts ?? factories[0]?.ts ?? null,
    last_reading: cetp.at(-1)?.ts ?? factories.at(-1)?.ts ?? null,
    note: [...(exportOnly ? [EXPORT_ONLY_NOTE] : []), ...(cetp.length ? [] : ["no MPCB export readings"]), ...notes]
      .join("\n")
      .slice(0, 4000)
  };
  const tables: [EffluentTable, Iterable<object>][] = [
    ["cetp_readings", cetp],
    ["factory_readings", analysis.factoryReadings],
    ["shock_events", analysis.shocks],
    ["attributions", analysis.attributions],
    ["tamper_events", analysis.tamper],
    ["travel_times", analysis.travel.map((t) => ({...t, clarity: Number.isFinite(t.clarity) ? t.clarity : null}))],
    ["effluent_sites", [siteRow]]
  ];
  for (const [name, rows] of tables) await sink.write(name, {columns: effluentColumns[name], rows});
  return analysis;
}
