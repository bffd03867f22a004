import type {Duck} from "../../core/duckdb.js";
import {quoteString} from "../../core/sql.js";
import {REQUIRED_COLUMNS, VENDOR_COLUMNS, canonicalSelect, type ColumnMapping, type MarketInputs} from "./inputs.js";
import {errorMessage, type DayGroup, type MarketTable, type SourceFile} from "./lake-source.js";

// What `lab acquire market` checks in each file of a day before the day may land in the inbox.

const INPUT: Record<MarketTable, keyof MarketInputs> = {trades: "trades", book: "book", book_delta_v2: "deltas"};

/** A day in microseconds. */
export const DAY_US = 86_400_000_000;

/** Epoch microseconds as an ISO time (UTC). */
export const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString();

/** origin_time as epoch microseconds, by its Parquet type (TIMESTAMP variants, or integer nanoseconds). */
export function epochUsSql(type: string): string | undefined {
  if (/^TIMESTAMP/.test(type)) return "epoch_us(origin_time)";
  if (/^(BIGINT|HUGEINT|UBIGINT)$/.test(type)) return "(origin_time // 1000)::BIGINT";
  return undefined;
}

export interface FileCheck {
  rows: number | null;
  lo: number | null;
  hi: number | null;
}

/** The per-file checks (columns, rows vs the manifest, origin_time inside the day); reasons are pushed onto `reasons`. */
export async function checkFile({
  duck,
  path,
  file,
  group,
  reasons,
  columns: mapping
}: {
  duck: Duck;
  path: string;
  file: SourceFile;
  group: DayGroup;
  reasons: string[];
  /** Column names the files use instead of the lab's and the vendor's. */
  columns?: ColumnMapping;
}): Promise<FileCheck> {
  let source = `read_parquet(${quoteString(path)})`;
  let columns: Map<string, string>;
  try {
    columns = new Map(
      (await duck.all<{column_name: string; column_type: string}>(`DESCRIBE SELECT * FROM ${source}`)).map((c) => [
        c.column_name,
        c.column_type
      ])
    );
  } catch (error) {
    reasons.push(`${file.path}: not a readable Parquet file (${errorMessage(error)})`);
    return {rows: null, lo: null, hi: null};
  }
  // The lab's names, the downloader's raw ones, or those the mapping gives.
  const input = INPUT[group.table];
  const {select, missing} = canonicalSelect({name: input, types: columns, mapping});
  if (missing.length) {
    reasons.push(
      `${file.path}: missing column(s) ${missing.join(", ")} (a ${group.table} file has ${REQUIRED_COLUMNS[input].join(", ")}${group.table === "book" ? " … ask_19_size" : ""}, or the downloader's raw names ${Object.values(VENDOR_COLUMNS[input]).join(", ")})`
    );
    return {rows: null, lo: null, hi: null};
  }
  if (select) {
    source = `(SELECT ${select} FROM ${source})`;
    const [row] = await duck.all<{column_type: string}>(
      `SELECT column_type FROM (DESCRIBE SELECT origin_time FROM ${source})`
    );
    columns.set("origin_time", row!.column_type);
  }
  const type = columns.get("origin_time")!;
  const t = epochUsSql(type);
  if (!t) {
    reasons.push(`${file.path}: origin_time is ${type}; expected a TIMESTAMP (or integer nanoseconds)`);
    return {rows: null, lo: null, hi: null};
  }
  const start = Date.parse(`${group.day}T00:00:00Z`) * 1000;
  const [s] = await duck.all<{
    n: bigint;
    nulls: bigint;
    lo: bigint | null;
    hi: bigint | null;
    outside: bigint;
    before: bigint | null;
    after: bigint | null;
  }>(
    `SELECT count(*) AS n, count(*) - count(t) AS nulls, min(t) AS lo, max(t) AS hi,
            count(*) FILTER (WHERE t < ${start} OR t >= ${start + DAY_US}) AS outside,
            min(t) FILTER (WHERE t < ${start}) AS before, max(t) FILTER (WHERE t >= ${start + DAY_US}) AS after
       FROM (SELECT ${t} AS t FROM ${source})`
  );
  const rows = Number(s!.n);
  if (file.rows !== undefined && file.rows !== rows)
    reasons.push(
      `${file.path}: the manifest says ${file.rows.toLocaleString("en-US")} rows, the file has ${rows.toLocaleString("en-US")}`
    );
  if (Number(s!.nulls)) reasons.push(`${file.path}: ${Number(s!.nulls)} row(s) without an origin_time`);
  if (Number(s!.outside)) {
    const examples = [s!.before, s!.after].filter((v): v is bigint => v !== null).map((v) => iso(Number(v)));
    reasons.push(
      `${file.path}: ${Number(s!.outside).toLocaleString("en-US")} row(s) with an origin_time outside ${group.day} (UTC), e.g. ${examples.join(" and ")}`
    );
  }
  return {rows, lo: s!.lo === null ? null : Number(s!.lo), hi: s!.hi === null ? null : Number(s!.hi)};
}
