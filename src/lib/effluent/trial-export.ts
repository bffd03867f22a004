import {CsvParser} from "../core/csv.js";
import {LabError} from "../core/errors.js";
import type {EffluentSiteOptions} from "./dataset-options.js";
import {mpcbLayout} from "./feed-layout.js";
import {MINUTE} from "./grid.js";
import {MPCB_COLUMNS} from "./mpcb-columns.js";

/** One MPCB export file as text, with the name it is written back under. */
export interface ExportText {
  name: string;
  text: string;
}

/** Where a reading row sits in its file: the line to edit and the inlet COD cell in it. */
interface RowPlace {
  file: number;
  line: number;
  minute: number;
  cod: number | null;
}

/** A site's export(s) as one minute timeline, and what is needed to write edited copies byte for byte. */
export interface ExportTimeline {
  t0: number;
  minutes: number;
  /** Inlet COD on the one-minute grid from t0: NaN where no row carries a value. */
  inlet: Float64Array;
  /** Each minute that has an export row (the first, for a minute several files repeat), with its time as written. */
  rowTimes: {minute: number; text: string}[];
  files: {name: string; bom: boolean; lines: string[]; breaks: string[]; codColumn: number}[];
  rows: RowPlace[];
}

const INLET_COD = MPCB_COLUMNS.find((c) => c.column === "inlet_cod")!.header;

/** [start, end) of each field of one CSV line, quotes included. */
function fieldSpans(line: string): [number, number][] {
  const spans: [number, number][] = [];
  let i = 0;
  for (;;) {
    const start = i;
    if (line[i] === '"')
      for (i++; i < line.length; i++)
        if (line[i] === '"') {
          if (line[i + 1] === '"') i++;
          else {
            i++;
            break;
          }
        }
    while (i < line.length && line[i] !== ",") i++;
    spans.push([start, i]);
    if (i >= line.length) return spans;
    i++;
  }
}

/**
 * Reads a site's MPCB export(s) with the site's options into one minute timeline, remembering for
 * each reading row its file, line and inlet COD cell, so a copy can be written with only those
 * cells changed. Rows that are not readings (bad times, bad values) are left as they are; a quoted
 * field spanning lines is refused, since a copy could not keep it line for line.
 */
export function readExportTimeline({
  exports,
  site
}: {
  exports: readonly ExportText[];
  site: EffluentSiteOptions;
}): ExportTimeline {
  const files: ExportTimeline["files"] = [];
  const parsed: {file: number; line: number; ts: Date; timeText: string; cod: number | null}[] = [];
  exports.forEach(({name, text}, f) => {
    const bom = text.charCodeAt(0) === 0xfeff;
    const body = bom ? text.slice(1) : text;
    const parts = body.split(/(\r\n|\n|\r)/);
    const lines = parts.filter((_, i) => i % 2 === 0);
    const breaks = parts.filter((_, i) => i % 2 === 1);
    const parser = new CsvParser(name);
    const records = [...parser.push(body), ...parser.end()];
    const header = records[0];
    if (!header) throw new LabError({file: name, line: 1, reason: "empty file: no header row"});
    const layout = mpcbLayout({fields: header.fields, file: name, site});
    const codColumn = header.fields.map((h) => h.trim()).indexOf(INLET_COD);
    files.push({name, bom, lines, breaks, codColumn});
    for (const record of records.slice(1)) {
      if (fieldSpans(lines[record.line - 1] ?? "").length !== record.fields.length)
        throw new LabError({
          file: name,
          line: record.line,
          reason: "a quoted field spans lines: the export cannot be copied line for line",
          hint: "put each row of the export on one line"
        });
      const result = layout.parse({fields: record.fields});
      if ("problem" in result) continue;
      parsed.push({
        file: f,
        line: record.line - 1,
        ts: result.row.ts,
        timeText: record.fields[header.fields.map((h) => h.trim()).indexOf("Time")]!,
        cod: result.row.inlet_cod
      });
    }
  });
  if (!parsed.length)
    throw new LabError({file: exports[0]?.name, reason: "no reading in the export: nothing to put a trial on"});
  const t0 = parsed.reduce((a, r) => Math.min(a, r.ts.getTime()), Infinity);
  const t1 = parsed.reduce((a, r) => Math.max(a, r.ts.getTime()), -Infinity);
  const minutes = Math.round((t1 - t0) / MINUTE) + 1;
  const inlet = new Float64Array(minutes).fill(Number.NaN);
  const rowTimes: ExportTimeline["rowTimes"] = [];
  const seen = new Set<number>();
  const rows: RowPlace[] = [];
  for (const r of parsed) {
    const minute = Math.round((r.ts.getTime() - t0) / MINUTE);
    rows.push({file: r.file, line: r.line, minute, cod: r.cod});
    if (seen.has(minute)) continue;
    seen.add(minute);
    rowTimes.push({minute, text: r.timeText});
    if (r.cod !== null) inlet[minute] = r.cod;
  }
  rowTimes.sort((a, b) => a.minute - b.minute);
  return {t0, minutes, inlet, rowTimes, files, rows};
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Copies of the export(s) with `extra` mg/L added to the inlet COD of every row that has a value
 * at that minute. Everything else (blank and NA rows, missing rows, times as written, quoting,
 * line ends, a BOM) is kept byte for byte.
 */
export function addToInlet({timeline, extra}: {timeline: ExportTimeline; extra: Float64Array}): ExportText[] {
  const lines = timeline.files.map((f) => f.lines.slice());
  for (const row of timeline.rows) {
    const add = extra[row.minute] ?? 0;
    if (row.cod === null || !(add !== 0)) continue;
    const file = timeline.files[row.file]!;
    const line = lines[row.file]![row.line]!;
    const [s, e] = fieldSpans(line)[file.codColumn]!;
    const value = String(round1(row.cod + add));
    const cell = line[s] === '"' ? `"${value}"` : value;
    lines[row.file]![row.line] = line.slice(0, s) + cell + line.slice(e);
  }
  return timeline.files.map((f, i) => ({
    name: f.name,
    text: (f.bom ? "\ufeff" : "") + lines[i]!.map((l, k) => l + (f.breaks[k] ?? "")).join("")
  }));
}
