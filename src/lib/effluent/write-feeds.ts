import {mkdirSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {FACTORY_COLUMNS, MEASURES, MPCB_COLUMNS} from "./mpcb-columns.js";
import type {CetpReading, FactoryReading} from "./types.js";

/** UTC Date → local wall-clock `YYYY-MM-DD HH:MM` at a fixed offset (IST = +330). */
export function formatLocalTime(date: Date, utcOffsetMinutes: number): string {
  return new Date(date.getTime() + utcOffsetMinutes * 60_000).toISOString().slice(0, 16).replace("T", " ");
}

const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Writes readings as an MPCB export, exactly as the portal produces it (quoted, NA, IST, CRLF). */
export function writeMpcbExport({
  path,
  readings,
  utcOffsetMinutes = 330
}: {
  path: string;
  readings: readonly CetpReading[];
  utcOffsetMinutes?: number;
}): void {
  const lines = [MPCB_COLUMNS.map((c) => quote(c.header)).join(",")];
  readings.forEach((r, i) => {
    lines.push(
      [
        String(i + 1),
        formatLocalTime(r.ts, utcOffsetMinutes),
        ...MEASURES.map((m) => (r[m] === null ? "NA" : String(r[m])))
      ]
        .map(quote)
        .join(",")
    );
  });
  mkdirSync(dirname(path), {recursive: true});
  writeFileSync(path, lines.join("\r\n") + "\r\n");
}

/** Writes one CSV feed per factory into `dir` (`<factory_id>.csv`); returns the paths. */
export function writeFactoryFeeds({
  dir,
  readings,
  utcOffsetMinutes = 330
}: {
  dir: string;
  readings: readonly FactoryReading[];
  utcOffsetMinutes?: number;
}): string[] {
  mkdirSync(dir, {recursive: true});
  const byFactory = new Map<string, string[]>();
  for (const r of readings) {
    const lines = byFactory.get(r.factory_id) ?? [FACTORY_COLUMNS.join(",")];
    const v = (x: number | null) => (x === null ? "" : String(x));
    lines.push(
      [
        String(lines.length),
        formatLocalTime(r.ts, utcOffsetMinutes),
        r.factory_id,
        v(r.cod),
        v(r.bod),
        v(r.ph),
        v(r.tss)
      ].join(",")
    );
    byFactory.set(r.factory_id, lines);
  }
  return [...byFactory].map(([id, lines]) => {
    const path = join(dir, `${id}.csv`);
    writeFileSync(path, lines.join("\n") + "\n");
    return path;
  });
}
