import {basename} from "node:path";
import {LabError} from "../core/errors.js";
import type {EffluentSiteOptions} from "./dataset-options.js";
import {FACTORY_COLUMNS, FACTORY_FIELDS, MEASURES, MPCB_COLUMNS, type FactoryField} from "./mpcb-columns.js";
import type {CetpReading, FactoryReading} from "./types.js";

/** Why one row is not a reading: the column (as the file names it) and the reason. */
export interface RowProblem {
  column: string | null;
  reason: string;
  /** How to fix it, for the strict readers' errors (the quarantine keeps the reason). */
  hint?: string;
}

export type ParsedRow<T> = {row: T} | {problem: RowProblem};

/** A file's columns, found by name in its header: parses its rows one at a time, never throwing. */
export interface FeedLayout<T> {
  kind: "export" | "feed";
  /** Header names beyond the known ones, ignored (`extraColumns: "ignore"`, and a feed's under "keep"). */
  extras: string[];
  /** An export's extra columns kept (`extraColumns: "keep"`): the header and its key in `extra`. */
  kept: {header: string; key: string}[];
  parse(options: {fields: string[]}): ParsedRow<T>;
}

function headerMismatch({file, expected, actual}: {file: string; expected: readonly string[]; actual: string[]}) {
  const width = Math.max(8, ...expected.map((h) => h.length));
  const lines = Array.from({length: Math.max(expected.length, actual.length)}, (_, i) => {
    const e = expected[i] ?? "—";
    const a = actual[i] ?? "—";
    return `  ${e === a ? " " : "≠"} ${String(i + 1).padStart(2)}  ${e.padEnd(width)}  ${a}`;
  });
  return new LabError({
    file,
    line: 1,
    reason: `unexpected header:\n     #  ${"expected".padEnd(width)}  found\n${lines.join("\n")}`,
    hint: "the MPCB columns live in src/lib/effluent/mpcb-columns.ts; extra columns are ignored by name unless dataset.json says extraColumns: reject"
  });
}

function rejectExtras({file, extras, site}: {file: string; extras: string[]; site: EffluentSiteOptions}): void {
  if (extras.length && site.extraColumns === "reject")
    throw new LabError({
      file,
      line: 1,
      reason: `unexpected column(s) ${extras.map((e) => `"${e}"`).join(", ")}`,
      hint: 'dataset.json has extraColumns: "reject"; set it to "ignore" to read the known columns by name'
    });
}

/** A value cell: null for blank or NA, a number, or the problem. */
function cell(text: string | undefined, column: string): number | null | RowProblem {
  const t = (text ?? "").trim();
  if (t === "" || t.toUpperCase() === "NA" || t.toUpperCase() === "N/A") return null;
  const value = Number(t);
  return Number.isFinite(value)
    ? value
    : {column, reason: `not a number: "${text}"`, hint: "use a number, or NA for a missing value"};
}

const isProblem = (v: unknown): v is RowProblem => typeof v === "object" && v !== null && "reason" in v;

/**
 * The key an extra column is kept under in `cetp_readings.extra`: its header in lower case, each run
 * of other characters than a–z and 0–9 one `_`, none at either end (`Flow - (m3/h)` → `flow_m3_h`);
 * `column` when nothing is left, and `_2`, `_3` … after a key already taken.
 */
export function extraColumnKeys(headers: readonly string[]): string[] {
  const taken = new Set<string>();
  return headers.map((h) => {
    const base =
      h
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "_")
        .replace(/^_+|_+$/g, "") || "column";
    let key = base;
    for (let n = 2; taken.has(key); n++) key = `${base}_${n}`;
    taken.add(key);
    return key;
  });
}

/** Whether a header is an MPCB export's (its Time and inlet COD columns, by name). */
export function isMpcbHeader(fields: string[]): boolean {
  const names = new Set(fields.map((f) => f.trim()));
  return names.has("Time") && names.has(MPCB_COLUMNS[2]!.header);
}

/** An MPCB export's layout from its header: every known column by name, extras ignored (or refused). */
export function mpcbLayout({
  fields,
  file,
  site
}: {
  fields: string[];
  file: string;
  site: EffluentSiteOptions;
}): FeedLayout<CetpReading> {
  const names = fields.map((f) => f.trim());
  const index = new Map(names.map((n, i) => [n, i]));
  const missing = MPCB_COLUMNS.filter((c) => c.column !== "s_no" && !index.has(c.header));
  if (missing.length) throw headerMismatch({file, expected: MPCB_COLUMNS.map((c) => c.header), actual: names});
  const known = new Set(MPCB_COLUMNS.map((c) => c.header));
  const others = names.filter((n) => !known.has(n) && n !== "");
  rejectExtras({file, extras: others, site});
  const keep = site.extraColumns === "keep";
  const keys = extraColumnKeys(others);
  const kept = keep ? others.map((header, i) => ({header, key: keys[i]!, at: names.indexOf(header)})) : [];
  const timeAt = index.get("Time")!;
  const measures = MEASURES.map((m) => {
    const header = MPCB_COLUMNS.find((c) => c.column === m)!.header;
    return {m, header, at: index.get(header)!};
  });
  return {
    kind: "export",
    extras: keep ? [] : others,
    kept: kept.map(({header, key}) => ({header, key})),
    parse({fields: row}) {
      if (row.length !== names.length)
        return {problem: {column: null, reason: `ragged row: expected ${names.length} fields, found ${row.length}`}};
      const ts = site.parseTime(row[timeAt]!);
      if (typeof ts === "string") return {problem: {column: "Time", reason: ts}};
      const reading = {ts} as CetpReading;
      for (const {m, header, at} of measures) {
        const v = cell(row[at], header);
        if (isProblem(v)) return {problem: v};
        reading[m] = v;
      }
      if (kept.length) {
        const extra: Record<string, number | null> = {};
        for (const {header, key, at} of kept) {
          const v = cell(row[at], header);
          if (isProblem(v))
            return {problem: {...v, hint: 'extraColumns "keep" reads extra columns as numbers; "ignore" skips them'}};
          extra[key] = v;
        }
        reading.extra = JSON.stringify(extra);
      }
      return {row: reading};
    }
  };
}

/** A factory feed's layout: time and cod required, factory_id/bod/ph/tss by name when present. */
export function factoryLayout({
  fields,
  file,
  site,
  path = file
}: {
  fields: string[];
  file: string;
  site: EffluentSiteOptions;
  /** Where the feed is, for its factory mapping and its name as the fallback factory id. */
  path?: string;
}): FeedLayout<FactoryReading> {
  const names = fields.map((f) => f.trim());
  const lower = names.map((n) => n.toLowerCase());
  // A site's own name for a field first, then the standard name (a site's feeds need not all agree).
  const find = (f: FactoryField) => {
    const own = site.factoryColumns[f]?.toLowerCase();
    const i = own === undefined ? -1 : lower.indexOf(own);
    return i >= 0 ? i : lower.indexOf(f);
  };
  const at = Object.fromEntries(FACTORY_FIELDS.map((f) => [f, find(f)])) as Record<FactoryField, number>;
  if (at.time < 0 || at.cod < 0)
    throw headerMismatch({
      file,
      expected: FACTORY_COLUMNS.map((c) => site.factoryColumns[c as FactoryField] ?? c),
      actual: names
    });
  const used = new Set([...Object.values(at), lower.indexOf("s_no")]);
  const extras = names.filter((n, i) => !used.has(i) && n !== "");
  rejectExtras({file, extras, site});
  const name = basename(path);
  const fixedId = site.factories[name]?.id;
  const fallbackId = name.replace(/\.csv(\.gz)?$/i, "");
  const value = (row: string[], f: "cod" | "bod" | "ph" | "tss") =>
    at[f] < 0 ? null : cell(row[at[f]], names[at[f]]!);
  return {
    kind: "feed",
    extras,
    kept: [],
    parse({fields: row}) {
      if (row.length !== names.length)
        return {problem: {column: null, reason: `ragged row: expected ${names.length} fields, found ${row.length}`}};
      const ts = site.parseTime(row[at.time]!);
      if (typeof ts === "string") return {problem: {column: names[at.time]!, reason: ts}};
      const own = at.factory_id < 0 ? undefined : row[at.factory_id]!.trim();
      if (own === "" && !fixedId) return {problem: {column: names[at.factory_id]!, reason: "missing factory_id"}};
      const reading: FactoryReading = {
        ts,
        factory_id: fixedId ?? own ?? fallbackId,
        cod: null,
        bod: null,
        ph: null,
        tss: null,
        status: "OK"
      };
      for (const f of ["cod", "bod", "ph", "tss"] as const) {
        const v = value(row, f);
        if (isProblem(v)) return {problem: v};
        reading[f] = v;
      }
      return {row: reading};
    }
  };
}

/** The measured values of a reading by column, for the plausibility check. */
export function measuresOf(row: CetpReading | FactoryReading): [string, number | null][] {
  return "factory_id" in row
    ? [
        ["cod", row.cod],
        ["bod", row.bod],
        ["ph", row.ph],
        ["tss", row.tss]
      ]
    : MEASURES.map((m) => [m, row[m]]);
}
