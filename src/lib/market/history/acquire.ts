import {existsSync} from "node:fs";
import {copyFile, mkdir, rename, rm, rmdir} from "node:fs/promises";
import {dirname, join, resolve, sep} from "node:path";
import {tempPathFor} from "../../core/atomic-file.js";
import {openDuckDB, type Duck} from "../../core/duckdb.js";
import {LabError} from "../../core/errors.js";
import {sha256File} from "../../core/hash.js";
import {DAY_US, checkFile, iso} from "./day-checks.js";
import type {ColumnMapping} from "./inputs.js";
import {
  LAYOUT,
  MARKET_TABLES,
  download,
  isDay,
  isHttp,
  listSource,
  type DayGroup,
  type MarketTable
} from "./lake-source.js";

export {MARKET_TABLES, type MarketTable};

export interface AcquiredFile {
  /** Relative to the source root and to the inbox (the layout is kept). */
  path: string;
  /** Rows read from the file (null when it could not be read). */
  rows: number | null;
  sha256: string | null;
  /**
   * copied: new in the inbox; replaced: a different file at the same path was replaced by this
   * verified one; present: an identical file (same SHA-256) was already there and was skipped;
   * not copied: its day was refused.
   */
  state: "copied" | "replaced" | "present" | "not copied";
}

export interface AcquiredDay {
  table: MarketTable;
  exchange: string;
  symbol: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  files: AcquiredFile[];
  rows: number;
  /** First and last origin_time of the day's rows (ISO, UTC), null without rows. */
  first: string | null;
  last: string | null;
  /** last − first, in seconds, and as a share of 24 h. */
  coveredSeconds: number;
  coverage: number;
  status: "ACCEPTED" | "REFUSED";
  /** Why the day was refused (empty when accepted). */
  reasons: string[];
  /** What is worth knowing but does not refuse the day (e.g. another table missing that day). */
  warnings: string[];
}

export interface AcquireReport {
  source: string;
  inbox: string;
  minDayCoverage: number;
  days: AcquiredDay[];
  accepted: number;
  refused: number;
  /** About the source as a whole: manifest entries outside the layout, files the manifest omits. */
  warnings: string[];
}

export interface AcquireOptions {
  /** A local folder or an http(s) base URL (which must serve manifest.json). */
  from: string;
  inbox: string;
  exchange?: string;
  symbol?: string;
  /** Inclusive bounds, YYYY-MM-DD. */
  fromDate?: string;
  toDate?: string;
  /** Subset of trades, book, book_delta_v2 (all by default). */
  tables?: string[];
  /** The share of 24 h that first→last origin_time must span for a day to count as complete; 0.98 by default. */
  minDayCoverage?: number;
  /** Column names the files use instead of the lab's and the vendor's (`parseColumnMapping`). */
  columns?: ColumnMapping;
  log?: (line: string) => void;
}

/** Removes now-empty folders from `dir` up to and including `top` (never anything with content). */
async function pruneEmpty(dir: string, top: string): Promise<void> {
  for (let d = dir; d.length >= top.length; d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    if (d === top) return;
  }
}

const clock = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(11, 19);
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
/**
 * `lab acquire market`: brings Crypto Lake-layout files
 * (`<table>/exchange=<E>/symbol=<S>/dt=<YYYY-MM-DD>/<name>.parquet`) from a local folder or an
 * HTTP(S) base URL into the inbox, keeping the layout, one (table, exchange, symbol, day) at a
 * time. The source's `manifest.json` ({"files": [{path, rows, sha256}]}) lists the files — over
 * HTTP it is required, as HTTP has no directory listing. Each file is copied (downloaded) to a
 * temporary name beside its place in the inbox and the day is checked as a whole: the table's
 * required columns, rows (> 0, and per file as the manifest says), SHA-256 as the manifest says,
 * every origin_time inside the day (UTC) and first→last origin_time spanning at least
 * `minDayCoverage` of 24 h (a partial day fails here). Only a day that passes is renamed into
 * place; a refused day leaves neither files, temporary files nor new folders behind. A file
 * already in the inbox with the same SHA-256 is not copied again (reported as present). A day
 * that has some tables but not others in the source gets a warning, not a refusal.
 */
export async function acquireMarketData(options: AcquireOptions): Promise<AcquireReport> {
  const {exchange, symbol, fromDate, toDate, minDayCoverage = 0.98, log = () => {}} = options;
  const http = isHttp(options.from);
  const from = http ? options.from.replace(/\/*$/, "/") : resolve(options.from);
  const inbox = resolve(options.inbox);
  if (!(minDayCoverage >= 0 && minDayCoverage <= 1))
    throw new LabError({
      column: "minDayCoverage",
      reason: `must be a share between 0 and 1, got ${minDayCoverage}`,
      hint: "0.98 asks first→last origin_time to span 98% of the day"
    });
  for (const [name, value] of [
    ["fromDate", fromDate],
    ["toDate", toDate]
  ] as const)
    if (value !== undefined && !isDay(value))
      throw new LabError({column: name, reason: `expected a date YYYY-MM-DD, got "${value}"`});
  const tables = new Set<MarketTable>((options.tables ?? MARKET_TABLES) as MarketTable[]);
  const unknown = [...tables].filter((t) => !MARKET_TABLES.includes(t));
  if (unknown.length)
    throw new LabError({
      column: "tables",
      reason: `unknown table(s) ${unknown.join(", ")}`,
      hint: `one or more of ${MARKET_TABLES.join(", ")}`
    });

  const report: AcquireReport = {
    source: http ? from : options.from,
    inbox,
    minDayCoverage,
    days: [],
    accepted: 0,
    refused: 0,
    warnings: []
  };
  const files = await listSource(from, report.warnings);

  // Group by (table, exchange, symbol, day); remember which tables each (exchange, symbol, day) has.
  const groups = new Map<string, DayGroup>();
  const tablesOfDay = new Map<string, Set<MarketTable>>();
  const seen = new Set<string>();
  const outside: string[] = [];
  for (const f of files) {
    const m = LAYOUT.exec(f.path);
    if (!m || !isDay(m[4]!) || f.path.split("/").some((part) => part === ".." || part === ".")) {
      outside.push(f.path);
      continue;
    }
    if (seen.has(f.path)) {
      report.warnings.push(`${f.path} is listed twice; the first entry was used`);
      continue;
    }
    seen.add(f.path);
    const [, table, ex, sym, day] = m as unknown as [string, MarketTable, string, string, string];
    if (
      (exchange && ex !== exchange) ||
      (symbol && sym !== symbol) ||
      (fromDate && day < fromDate) ||
      (toDate && day > toDate)
    )
      continue;
    const dayKey = `${ex}\u0000${sym}\u0000${day}`;
    if (!tablesOfDay.has(dayKey)) tablesOfDay.set(dayKey, new Set());
    tablesOfDay.get(dayKey)!.add(table);
    if (!tables.has(table)) continue;
    const key = `${dayKey}\u0000${MARKET_TABLES.indexOf(table)}`;
    if (!groups.has(key)) groups.set(key, {table, exchange: ex, symbol: sym, day, files: []});
    groups.get(key)!.files.push(f);
  }
  if (outside.length)
    report.warnings.push(
      `${outside.length} listed file(s) are not in the Crypto Lake layout <table>/exchange=<E>/symbol=<S>/dt=<YYYY-MM-DD>/<name>.parquet and were ignored (e.g. ${outside[0]})`
    );
  for (const w of report.warnings) log(`warning: ${w}`);
  if (!groups.size) log(`nothing in ${report.source} matches the selection`);

  const duck = await openDuckDB();
  try {
    for (const key of [...groups.keys()].sort()) {
      const day = await acquireDay({
        duck,
        group: groups.get(key)!,
        from,
        http,
        inbox,
        minDayCoverage,
        columns: options.columns
      });
      const present = tablesOfDay.get(`${day.exchange}\u0000${day.symbol}\u0000${day.day}`)!;
      const absent = MARKET_TABLES.filter((t) => !present.has(t));
      if (absent.length)
        day.warnings.push(
          `${absent.join(" and ")} missing for ${day.exchange} ${day.symbol} on ${day.day} (the source has ${MARKET_TABLES.filter((t) => present.has(t)).join(", ")})`
        );
      report.days.push(day);
      if (day.status === "ACCEPTED") report.accepted++;
      else report.refused++;
      const copied = day.files.filter((f) => f.state === "copied" || f.state === "replaced").length;
      const already = day.files.filter((f) => f.state === "present").length;
      log(
        `${day.status} ${day.table} ${day.exchange} ${day.symbol} ${day.day}: ${day.files.length} file(s), ${day.rows.toLocaleString("en-US")} rows, ${percent(day.coverage)} of the day` +
          (day.status === "ACCEPTED"
            ? ` — ${copied} copied${already ? `, ${already} already present` : ""}`
            : ` — ${day.reasons.join("; ")}`)
      );
      for (const w of day.warnings) log(`  warning: ${w}`);
    }
  } finally {
    duck.close();
  }
  return report;
}

/** One (table, exchange, symbol, day): stage every file beside its final place, check, then rename all or remove all. */
async function acquireDay({
  duck,
  group,
  from,
  http,
  inbox,
  minDayCoverage,
  columns
}: {
  duck: Duck;
  group: DayGroup;
  from: string;
  http: boolean;
  inbox: string;
  minDayCoverage: number;
  columns?: ColumnMapping;
}): Promise<AcquiredDay> {
  const reasons: string[] = [];
  const result: AcquiredFile[] = [];
  const staged: {temp: string; final: string; entry: AcquiredFile}[] = [];
  const created: {dir: string; top: string}[] = [];
  let rows = 0;
  let lo = Infinity;
  let hi = -Infinity;
  const discard = async () => {
    for (const s of staged) await rm(s.temp, {force: true});
    for (const c of created) await pruneEmpty(c.dir, c.top);
  };
  try {
    for (const file of group.files) {
      const entry: AcquiredFile = {path: file.path, rows: null, sha256: null, state: "not copied"};
      result.push(entry);
      const final = join(inbox, ...file.path.split("/"));
      if (!final.startsWith(inbox + sep)) throw new LabError({file: file.path, reason: "resolves outside the inbox"});
      const existing = existsSync(final) ? await sha256File({path: final}) : undefined;
      const origin = http ? new URL(file.path, from).href : join(from, ...file.path.split("/"));
      let checkPath: string;
      if (existing && file.sha256 && existing === file.sha256) {
        // Already there and as the manifest says: nothing to fetch; checked in place.
        entry.state = "present";
        entry.sha256 = existing;
        checkPath = final;
      } else {
        if (!http && !existsSync(origin)) {
          reasons.push(`${origin}: listed in the manifest but missing from the source`);
          continue;
        }
        const top = await mkdir(dirname(final), {recursive: true});
        if (top) created.push({dir: dirname(final), top});
        const temp = tempPathFor(final);
        staged.push({temp, final, entry});
        let sha256: string;
        if (http) {
          const got = await download(origin, temp);
          if ("reason" in got) {
            reasons.push(got.reason);
            continue;
          }
          sha256 = got.sha256;
        } else {
          await copyFile(origin, temp);
          sha256 = await sha256File({path: temp});
        }
        entry.sha256 = sha256;
        if (file.sha256 && file.sha256 !== sha256)
          reasons.push(
            `${file.path}: checksum mismatch: the manifest says sha256 ${file.sha256}, the file has ${sha256}`
          );
        if (existing === sha256) {
          // Identical to what the inbox has: drop the copy, keep the file in place.
          staged.pop();
          await rm(temp, {force: true});
          entry.state = "present";
          checkPath = final;
        } else checkPath = temp;
      }
      const check = await checkFile({duck, path: checkPath, file, group, reasons, columns});
      entry.rows = check.rows;
      rows += check.rows ?? 0;
      if (check.lo !== null) lo = Math.min(lo, check.lo);
      if (check.hi !== null) hi = Math.max(hi, check.hi);
    }
    const coveredUs = Number.isFinite(lo) ? hi - lo : 0;
    const coverage = coveredUs / DAY_US;
    if (!rows && !reasons.length) reasons.push(`no rows for ${group.day}`);
    if (Number.isFinite(lo) && coverage < minDayCoverage)
      reasons.push(
        `covers only ${percent(coverage)} of ${group.day} (${clock(lo)}–${clock(hi)}); a complete day needs at least ${+(minDayCoverage * 100).toFixed(2)}%`
      );
    const day: AcquiredDay = {
      table: group.table,
      exchange: group.exchange,
      symbol: group.symbol,
      day: group.day,
      files: result,
      rows,
      first: Number.isFinite(lo) ? iso(lo) : null,
      last: Number.isFinite(hi) ? iso(hi) : null,
      coveredSeconds: coveredUs / 1e6,
      coverage,
      status: reasons.length ? "REFUSED" : "ACCEPTED",
      reasons,
      warnings: []
    };
    if (day.status === "REFUSED") {
      await discard();
      for (const s of staged) s.entry.state = "not copied";
    } else {
      for (const s of staged) {
        s.entry.state = existsSync(s.final) ? "replaced" : "copied";
        await rename(s.temp, s.final);
      }
    }
    return day;
  } catch (error) {
    await discard();
    throw error;
  }
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The acquisition as Markdown: totals, then one row per (table, exchange, symbol, day). */
export function acquireMarkdown(report: AcquireReport): string {
  const all = report.days.flatMap((d) => d.files);
  const copied = all.filter((f) => f.state === "copied" || f.state === "replaced").length;
  const present = all.filter((f) => f.state === "present").length;
  const lines = [
    `## Market acquisition`,
    ``,
    `From ${report.source} into ${report.inbox} (a day must span ${+(report.minDayCoverage * 100).toFixed(2)}% of 24 h).`,
    ``,
    report.days.length
      ? `${report.accepted} day(s) accepted, ${report.refused} refused; ${copied} file(s) copied, ${present} already present.`
      : `Nothing in the source matches the selection.`
  ];
  if (report.warnings.length) lines.push(``, ...report.warnings.map((w) => `- warning: ${w}`));
  if (report.days.length) {
    lines.push(
      ``,
      `| status | table | exchange | symbol | day | files | rows | covered | reasons and warnings |`,
      `| --- | --- | --- | --- | --- | ---: | ---: | ---: | --- |`
    );
    for (const d of report.days) {
      const already = d.files.filter((f) => f.state === "present").length;
      const files = `${d.files.length}${already ? ` (${already} present)` : ""}`;
      const covered =
        d.first && d.last ? `${percent(d.coverage)} (${d.first.slice(11, 19)}–${d.last.slice(11, 19)})` : "–";
      const notes = [...d.reasons, ...d.warnings.map((w) => `warning: ${w}`)].join("; ");
      lines.push(
        `| ${d.status} | ${d.table} | ${cell(d.exchange)} | ${cell(d.symbol)} | ${d.day} | ${files} | ${d.rows.toLocaleString("en-US")} | ${covered} | ${cell(notes)} |`
      );
    }
  }
  return lines.join("\n");
}
