/**
 * Times of real meter readings: text in the dataset's format → the UTC instant, with local wall
 * clock times resolved in the dataset's time zone. A local time the clocks skipped (spring
 * forward) does not exist; one they passed twice (fall back) has two instants, and which one a
 * reading means is decided later from the order of the readings (see readings-medallion.ts).
 */
import {zoneOffset} from "../core/time-zone.js";

/** A parsed time: the UTC instant (ms), the later instant when the local time is ambiguous, or why it is not a time. */
export type ParsedTime = {utcMs: number; laterMs?: number} | {error: string};

const AUTO =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const TOKENS: [string, string, string][] = [
  ["YYYY", "(\\d{4})", "year"],
  ["MM", "(\\d{2})", "month"],
  ["M", "(\\d{1,2})", "month"],
  ["DD", "(\\d{2})", "day"],
  ["D", "(\\d{1,2})", "day"],
  ["HH", "(\\d{2})", "hour"],
  ["H", "(\\d{1,2})", "hour"],
  ["mm", "(\\d{2})", "minute"],
  ["ss", "(\\d{2})", "second"],
  ["S", "(\\d+)", "fraction"]
];

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  /** Minutes east of UTC written in the text (`Z`, `+01:00`), if any. */
  offset?: number;
}

/** A function from text to Fields for a format (`auto` or a YYYY/MM/DD/HH/mm/ss pattern). */
function fieldParser(format: string): (text: string) => Fields | undefined {
  if (format === "auto")
    return (text) => {
      const m = AUTO.exec(text);
      if (!m) return undefined;
      return {
        year: +m[1]!,
        month: +m[2]!,
        day: +m[3]!,
        hour: +(m[4] ?? 0),
        minute: +(m[5] ?? 0),
        second: +(m[6] ?? 0),
        ms: m[7] ? +m[7].slice(0, 3).padEnd(3, "0") : 0,
        offset: parseOffset(m[8])
      };
    };
  const roles: string[] = [];
  let source = "";
  for (let i = 0; i < format.length;) {
    const token = TOKENS.find(([t]) => format.startsWith(t, i));
    if (token && token[0] === "S") {
      // Any run of S is one fraction of any length.
      while (format[i] === "S") i++;
      source += token[1];
      roles.push(token[2]);
    } else if (token) {
      source += token[1];
      roles.push(token[2]);
      i += token[0].length;
    } else {
      source += format[i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      i++;
    }
  }
  const re = new RegExp(`^${source}$`);
  return (text) => {
    const m = re.exec(text);
    if (!m) return undefined;
    const f: Fields = {year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0};
    roles.forEach((role, k) => {
      const v = m[k + 1]!;
      if (role === "fraction") f.ms = +v.slice(0, 3).padEnd(3, "0");
      else f[role as "year"] = +v;
    });
    return f;
  };
}

function parseOffset(text: string | undefined): number | undefined {
  if (!text) return undefined;
  if (text.toUpperCase() === "Z") return 0;
  const digits = text.slice(1).replace(":", "");
  const minutes = +digits.slice(0, 2) * 60 + +(digits.slice(2) || 0);
  return text[0] === "-" ? -minutes : minutes;
}

/**
 * A parser for one dataset's times: `parse(text)` gives the UTC instant, both instants of an
 * ambiguous local time (fall back), or the reason it is not a time (bad text, impossible date,
 * a local time skipped by a DST change).
 */
export function timeParser({format, timeZone}: {format: string; timeZone: string}): (text: string) => ParsedTime {
  if (format === "epoch_seconds" || format === "epoch_milliseconds") {
    const scale = format === "epoch_seconds" ? 1000 : 1;
    return (text) => {
      const n = Number(text);
      return text !== "" && Number.isFinite(n)
        ? {utcMs: Math.round(n * scale)}
        : {error: `not an epoch time: "${text}"`};
    };
  }
  const fields = fieldParser(format);
  const utc = timeZone === "UTC" || timeZone === "Etc/UTC";
  const offsetAt = utc ? () => 0 : zoneOffset(timeZone);
  // The offsets under which a local quarter hour exists: one normally, none in a spring-forward gap, two in a fall-back hour.
  const resolved = new Map<number, number[]>();
  const offsetsOf = (w: number) => {
    const key = Math.floor(w / 900_000);
    let offsets = resolved.get(key);
    if (!offsets) {
      offsets = [...new Set([offsetAt(w - 86_400_000), offsetAt(w + 86_400_000)])]
        .filter((o) => offsetAt(w - o * 60_000) === o)
        .sort((a, b) => b - a);
      resolved.set(key, offsets);
    }
    return offsets;
  };
  return (text) => {
    const f = fields(text);
    if (!f)
      return {error: `not a time in the format ${format === "auto" ? "YYYY-MM-DD HH:MM[:SS]" : format}: "${text}"`};
    if (
      f.month < 1 ||
      f.month > 12 ||
      f.day < 1 ||
      f.day > daysIn(f.year, f.month) ||
      f.hour > 23 ||
      f.minute > 59 ||
      f.second > 59
    )
      return {error: `impossible date or time: "${text}"`};
    const w = wallMs(f);
    if (f.offset !== undefined) return {utcMs: w - f.offset * 60_000};
    if (utc) return {utcMs: w};
    const offsets = offsetsOf(w);
    if (!offsets.length) return {error: `local time "${text}" does not exist in ${timeZone} (the clocks skipped it)`};
    return offsets.length === 2
      ? {utcMs: w - offsets[0]! * 60_000, laterMs: w - offsets[1]! * 60_000}
      : {utcMs: w - offsets[0]! * 60_000};
  };
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The wall-clock fields as if they were UTC, in ms. */
function wallMs(f: Fields): number {
  if (f.year >= 100) return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, f.ms);
  // Date.UTC reads the years 0–99 as 1900–1999.
  const wall = new Date(Date.UTC(2000, 0, 1, f.hour, f.minute, f.second, f.ms));
  wall.setUTCFullYear(f.year, f.month - 1, f.day);
  return wall.getTime();
}
