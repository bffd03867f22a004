import {readdirSync, statSync} from "node:fs";
import {basename, join} from "node:path";
import {readCsvRecords} from "../core/csv.js";
import {LabError} from "../core/errors.js";
import {defaultSiteOptions, type EffluentSiteOptions} from "./dataset-options.js";
import {isMpcbHeader} from "./feed-layout.js";
import {readFactoryFeed, readMpcbExport, type FeedReport, type ReadingProblem} from "./read-feeds.js";
import type {CetpReading, FactoryReading} from "./types.js";

export interface EffluentInputs {
  cetp: CetpReading[];
  factories: FactoryReading[];
  /** Rows that are not readings, kept out with the reason. */
  quarantine: ReadingProblem[];
  /** Counts the readers report (duplicates kept out, out-of-order rows sorted, rows quarantined, columns ignored). */
  notes: string[];
  /** Factory id → travel time in minutes, where the site's dataset.json fixes it. */
  travelMinutes: Record<string, number>;
}

/** What a site folder's files are, found by their headers: MPCB exports, factory feeds, and the rest. */
export async function classifySiteFiles({files}: {files: string[]}): Promise<{
  exports: string[];
  feeds: string[];
  other: string[];
}> {
  const out = {exports: [] as string[], feeds: [] as string[], other: [] as string[]};
  for (const path of files) {
    if (!/\.csv(\.gz)?$/i.test(path)) {
      out.other.push(path);
      continue;
    }
    let fields: string[] = [];
    for await (const record of readCsvRecords({path})) {
      fields = record.fields;
      break;
    }
    if (isMpcbHeader(fields)) out.exports.push(path);
    else out.feeds.push(path);
  }
  return out;
}

const feedFiles = (paths: string[]) =>
  paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => /\.csv(\.gz)?$/i.test(f))
          .sort()
          .map((f) => join(p, f))
      : [p]
  );

function mergeExports(reports: FeedReport<CetpReading>[]): CetpReading[] {
  if (reports.length === 1) return reports[0]!.rows;
  const seen = new Set<number>();
  const rows: CetpReading[] = [];
  for (const report of reports)
    for (const row of report.rows) if (!seen.has(row.ts.getTime())) (seen.add(row.ts.getTime()), rows.push(row));
  return rows.sort((a, b) => a.ts.getTime() - b.ts.getTime());
}

/**
 * Reads a site's MPCB export(s) and factory feeds (files, or every *.csv in folders) with the
 * site's options, and bounds them to the last `maxSpanDays`. A file refused as a whole
 * (`FeedRejected`) fails the read with its first reasons.
 */
export async function readEffluentInputs({
  cetpPath,
  cetpPaths = cetpPath ? [cetpPath] : [],
  factoryPaths,
  site = defaultSiteOptions(),
  now
}: {
  cetpPath?: string;
  cetpPaths?: string[];
  factoryPaths: string[];
  site?: EffluentSiteOptions;
  now?: Date;
}): Promise<EffluentInputs> {
  const notes: string[] = [];
  const quarantine: ReadingProblem[] = [];
  const note = (path: string, r: FeedReport<unknown & {ts: Date}>) => {
    quarantine.push(...r.quarantined);
    if (r.duplicates || r.outOfOrder)
      notes.push(`${path}: ${r.duplicates} duplicate rows dropped (first kept), ${r.outOfOrder} out of order sorted`);
    if (r.extras.length) notes.push(`${path}: column(s) ${r.extras.map((e) => `"${e}"`).join(", ")} ignored`);
    if (r.kept.length)
      notes.push(
        `${path}: column(s) ${r.kept.map((k) => `"${k.header}" as ${k.key}`).join(", ")} kept in cetp_readings.extra`
      );
  };
  const exports: FeedReport<CetpReading>[] = [];
  for (const path of cetpPaths) {
    const report = await readMpcbExport({path, site, now});
    note(path, report);
    exports.push(report);
  }
  const files = feedFiles(factoryPaths);
  if (factoryPaths.length && !files.length)
    throw new LabError({file: factoryPaths.join(", "), reason: "no factory feeds (*.csv) found"});
  const factories: FactoryReading[] = [];
  const travelMinutes: Record<string, number> = {};
  for (const path of files) {
    const feed = await readFactoryFeed({path, site, now});
    note(path, feed);
    factories.push(...feed.rows);
    const travel = site.factories[basename(path)]?.travelMinutes;
    if (travel !== undefined) for (const r of feed.rows) travelMinutes[r.factory_id] = travel;
  }
  factories.sort((a, b) => a.ts.getTime() - b.ts.getTime() || a.factory_id.localeCompare(b.factory_id));
  if (quarantine.length)
    notes.push(
      `${quarantine.length} row(s) quarantined (first: ${quarantine[0]!.file}:${quarantine[0]!.line}: ${quarantine[0]!.reason})`
    );
  const bounded = lastDays({cetp: mergeExports(exports), factories, days: site.config.maxSpanDays, notes});
  return {...bounded, quarantine, notes, travelMinutes};
}

/** The readings of the most recent `days` only, with a note when older ones were left out. */
export function lastDays({
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
