import {readCsvRecords} from "../core/csv.js";
import {LabError, RejectedInput} from "../core/errors.js";
import {defaultSiteOptions, type EffluentSiteOptions} from "./dataset-options.js";
import {factoryLayout, measuresOf, mpcbLayout, type FeedLayout} from "./feed-layout.js";
import {MPCB_COLUMNS} from "./mpcb-columns.js";
import {readingProblem} from "./plausibility.js";
import type {CetpReading, FactoryReading} from "./types.js";

/** A row kept out of the readings, with where and why (the `effluent_quarantine` table). */
export interface ReadingProblem {
  file: string;
  line: number;
  column: string | null;
  reason: string;
  raw: string;
}

export interface FeedReport<T> {
  rows: T[];
  /** Rows that are not readings (unreadable values or times, ragged, implausible), kept out with the reason. */
  quarantined: ReadingProblem[];
  /** Rows whose timestamp repeated an earlier one (the first is kept). */
  duplicates: number;
  /** Rows that came before a row with an earlier timestamp (the output is sorted). */
  outOfOrder: number;
  /** Header names beyond the known ones, ignored by name. */
  extras: string[];
  /** Extra columns kept in `extra` (`extraColumns: "keep"`): header and key. */
  kept: {header: string; key: string}[];
}

/**
 * A file refused as a whole: no good row, or more than half its rows quarantined. It carries the
 * report, so a caller that publishes what it can (the catalog) keeps the good rows and the reasons
 * and then fails the job with this (a RejectedInput: what it published stays).
 */
export class FeedRejected extends RejectedInput {
  constructor(readonly report: FeedReport<CetpReading | FactoryReading>) {
    const first = report.quarantined[0]!;
    const total = report.rows.length + report.quarantined.length;
    const more = report.quarantined.slice(1, 3).map((q) => `line ${q.line}: ${q.reason}`);
    if (report.quarantined.length > 3) more.push("…");
    super({
      file: first.file,
      line: first.line,
      column: first.column ?? undefined,
      reason: `${first.reason}; ${report.quarantined.length} of ${total} rows unreadable${more.length ? ` (${more.join("; ")})` : ""}: ${report.rows.length ? "more than half" : "no good row"}, so the file is refused`,
      hint: "fix the rows listed, or the time format and columns in the site's dataset.json"
    });
  }
}

function finish<T extends {ts: Date}>(
  rows: T[],
  key: (row: T) => string,
  quarantined: ReadingProblem[],
  layout: Pick<FeedLayout<T>, "extras" | "kept">
): FeedReport<T> {
  let outOfOrder = 0;
  let latest = -Infinity;
  for (const row of rows) {
    const t = row.ts.getTime();
    if (t < latest) outOfOrder++;
    else latest = t;
  }
  const seen = new Set<string>();
  const unique: T[] = [];
  let duplicates = 0;
  for (const row of rows) {
    const k = key(row);
    if (seen.has(k)) duplicates++;
    else (seen.add(k), unique.push(row));
  }
  unique.sort((a, b) => a.ts.getTime() - b.ts.getTime());
  return {rows: unique, quarantined, duplicates, outOfOrder, extras: layout.extras, kept: layout.kept};
}

/**
 * One data row through a layout and the plausibility rules: the reading, or the quarantine entry
 * (shared by the file readers and live mode, so both keep out the same rows).
 */
export function readRow<T extends CetpReading | FactoryReading>({
  layout,
  fields,
  line,
  file,
  site,
  now
}: {
  layout: FeedLayout<T>;
  fields: string[];
  line: number;
  file: string;
  site: EffluentSiteOptions;
  now: Date;
}): {row: T} | {problem: ReadingProblem} {
  const raw = fields.join(",");
  const parsed = layout.parse({fields});
  if ("problem" in parsed)
    return {problem: {file, line, column: parsed.problem.column, reason: parsed.problem.reason, raw}};
  const problem = readingProblem({
    ts: parsed.row.ts,
    values: measuresOf(parsed.row),
    now,
    earliest: site.earliest,
    latest: site.latest
  });
  return problem ? {problem: {file, line, ...problem, raw}} : parsed;
}

async function readFeed<T extends CetpReading | FactoryReading>({
  path,
  file,
  site,
  layoutOf,
  key,
  now
}: {
  path: string;
  file: string;
  site: EffluentSiteOptions;
  layoutOf: (fields: string[]) => FeedLayout<T>;
  key: (row: T) => string;
  now: Date;
}): Promise<FeedReport<T>> {
  const rows: T[] = [];
  const quarantined: ReadingProblem[] = [];
  let layout: FeedLayout<T> | undefined;
  for await (const {line, fields} of readCsvRecords({path, file})) {
    if (!layout) {
      layout = layoutOf(fields);
      continue;
    }
    // A line with nothing on it is not a row of the export (a trailing blank line).
    if (fields.length === 1 && fields[0]!.trim() === "") continue;
    const result = readRow({layout, fields, line, file, site, now});
    if ("problem" in result) quarantined.push(result.problem);
    else rows.push(result.row);
  }
  if (!layout) throw new LabError({file, line: 1, reason: "empty file: no header row"});
  const report = finish(rows, key, quarantined, layout);
  if (quarantined.length && (!rows.length || quarantined.length > rows.length)) throw new FeedRejected(report);
  return report;
}

/** Where a feed is and how to read it. */
export interface FeedOptions {
  path: string;
  /** How errors and the quarantine name the file (defaults to the path). */
  file?: string;
  /** The site's options (time format and zone, extra columns, factory mapping, plausible window). */
  site?: EffluentSiteOptions;
  /** The present, for the "not in the future" check (tests pin it). */
  now?: Date;
}

/**
 * Reads an MPCB CETP export (quoted CSV, BOM and CRLF tolerated, `NA` for missing, local times
 * in the site's format and zone). Columns are found by name: a missing one fails with the expected
 * and actual columns side by side; extra ones are ignored. A row that is not a reading is
 * quarantined with its line, column and reason; a file losing more than half its rows is refused
 * (`FeedRejected`, which carries the good rows). Duplicate timestamps keep the first row.
 */
export function readMpcbExport({
  path,
  file = path,
  site = defaultSiteOptions(),
  now = new Date()
}: FeedOptions): Promise<FeedReport<CetpReading>> {
  return readFeed({
    path,
    file,
    site,
    layoutOf: (fields) => mpcbLayout({fields, file, site}),
    key: (r) => String(r.ts.getTime()),
    now
  });
}

/**
 * Reads a factory feed: `time` and `cod` columns by name (or as `factoryColumns` names them),
 * `factory_id`, `bod`, `ph`, `tss` when present; the factory id from the site's mapping, else the
 * `factory_id` column, else the file name. Empty fields are missing values.
 */
export function readFactoryFeed({
  path,
  file = path,
  site = defaultSiteOptions(),
  now = new Date()
}: FeedOptions): Promise<FeedReport<FactoryReading>> {
  return readFeed({
    path,
    file,
    site,
    layoutOf: (fields) => factoryLayout({fields, file, site, path}),
    key: (r) => `${r.factory_id}\0${r.ts.getTime()}`,
    now
  });
}

/** Checks an MPCB export's header row strictly (the upload API): throws the side-by-side mismatch. */
export function checkMpcbHeader({fields, file}: {fields: string[]; file: string}): void {
  mpcbLayout({fields, file, site: strictSite});
}

const strictSite: EffluentSiteOptions = {...defaultSiteOptions(), extraColumns: "reject"};

/** One MPCB data row → a reading, strictly (the upload API): a bad row is a LabError naming line and column. */
export function parseMpcbRow({
  fields,
  line,
  file,
  header,
  site = defaultSiteOptions()
}: {
  fields: string[];
  line: number;
  file: string;
  /** The file's header (the standard MPCB header when not given). */
  header?: string[];
  site?: EffluentSiteOptions;
}): CetpReading {
  const layout = mpcbLayout({fields: header ?? STANDARD_HEADER, file, site});
  const parsed = layout.parse({fields});
  if ("problem" in parsed)
    throw new LabError({
      file,
      line,
      column: parsed.problem.column ?? undefined,
      reason: parsed.problem.reason,
      hint: parsed.problem.hint
    });
  return parsed.row;
}

const STANDARD_HEADER = MPCB_COLUMNS.map((c) => c.header);
