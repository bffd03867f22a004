import {wallClockToUtc, zoneOffset} from "./time-zone.js";

/**
 * How a zone-less wall-clock time becomes an instant: a fixed offset in minutes from UTC, or a
 * function from the wall time's fields read as UTC (ms) to the instant (a time zone's rules).
 */
export type WallClock = number | ((localMs: number) => number);

const toInstant = (localMs: number, wallClock: WallClock) =>
  typeof wallClock === "number" ? localMs - wallClock * 60_000 : wallClock(localMs);

/**
 * Normalises the timestamp forms event exports mix: ISO 8601 with a zone (`2024-03-01T10:00:00Z`,
 * `…+05:30`), a date (`2024-03-01`), a zone-less local time (`2024-03-01 10:00[:00]`, read by
 * `wallClock`: an offset in minutes, or a zone's rules), and epoch seconds or milliseconds.
 * Returns a reason for anything else.
 */
export function parseTimestamp(text: unknown, wallClock: WallClock = 0): Date | string {
  if (typeof text === "number") return epoch(text);
  const s = String(text ?? "").trim();
  // The common case, a full ISO instant in UTC, straight through Date.parse (exact for this form).
  if (s.length === 24 && s[10] === "T" && s[23] === "Z") {
    const date = new Date(s);
    // Round-tripping rejects what Date.parse would roll over (2024-02-30) or reformat.
    if (!Number.isNaN(date.getTime()) && date.toISOString() === s) return date;
  }
  if (!s) return "empty timestamp";
  if (/^\d{9,13}(\.\d+)?$/.test(s)) return epoch(Number(s));
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (!m)
    return `unrecognised timestamp "${s}" (use ISO 8601, YYYY-MM-DD, or epoch seconds; or name the format in dataset.json, e.g. "time_format": "MM/DD/YYYY")`;
  const [, y, mo, d, h = "0", mi = "0", sec = "0", frac = "", zone] = m;
  const day = new Date(utcMs(+y!, +mo! - 1, +d!));
  if (day.getUTCMonth() + 1 !== +mo! || day.getUTCDate() !== +d!) return `impossible date "${s}"`;
  if (+h > 23 || +mi > 59 || +sec > 59) return `impossible time "${s}"`;
  let ms = utcMs(+y!, +mo! - 1, +d!, +h, +mi, +sec, Math.round(Number(`0${frac}`) * 1000));
  if (m[4] === undefined) return new Date(ms); // a bare date is that calendar day
  if (zone === undefined) ms = toInstant(ms, wallClock);
  else if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return new Date(ms);
}

function epoch(n: number): Date | string {
  if (!Number.isFinite(n)) return `not a timestamp: ${n}`;
  const date = new Date(n < 1e11 ? n * 1000 : n); // seconds until year 5138, else milliseconds
  // Beyond ±8.64e15 ms a Date is invalid, and an invalid Date throws where it is formatted.
  return Number.isNaN(date.getTime()) ? `not a timestamp: ${n} is beyond the years a date can hold` : date;
}

/** Date.UTC without its two-digit-year rule (years 0–99 read as 1900–1999): year 0001 is year 1. */
function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/** The tokens of a time format, each with the digits it matches. */
const TOKENS: Record<string, string> = {
  YYYY: "(\\d{4})",
  MM: "(\\d{1,2})",
  DD: "(\\d{1,2})",
  HH: "(\\d{1,2})",
  mm: "(\\d{2})",
  ss: "(\\d{2})",
  SSS: "(\\d{1,9})"
};
const TOKEN_PATTERN = /YYYY|SSS|MM|DD|HH|mm|ss/g;

/**
 * A reader for one time format of tokens and literal separators: `YYYY` `MM` `DD` `HH` `mm` `ss`
 * `SSS` (`MM/DD/YYYY`, `DD-MM-YYYY HH:mm`); month, day and hour take one or two digits. The
 * reader gives a wall-clock time (its fields as if UTC), a reason (an impossible date), or
 * undefined when the text does not have the format's shape. A format that is not one (no year,
 * month and day; a token twice) gives its reason instead of a reader.
 */
export function compileTimeFormat(format: string): ((text: string) => {localMs: number} | string | undefined) | string {
  const order: string[] = [];
  let pattern = "";
  let last = 0;
  for (const match of format.matchAll(TOKEN_PATTERN)) {
    pattern += escapeLiteral(format.slice(last, match.index)) + TOKENS[match[0]]!;
    if (order.includes(match[0])) return `the token ${match[0]} appears twice`;
    order.push(match[0]);
    last = match.index + match[0].length;
  }
  pattern += escapeLiteral(format.slice(last));
  const missing = ["YYYY", "MM", "DD"].filter((t) => !order.includes(t));
  if (missing.length) return `no ${missing.join(", ")} in it (tokens: YYYY MM DD HH mm ss SSS)`;
  if (order.includes("mm") && !order.includes("HH")) return "mm (minutes) without HH (hours)";
  const re = new RegExp(`^${pattern}$`);
  const at = (fields: string[], token: string, fallback = 0) => {
    const i = order.indexOf(token);
    return i < 0 ? fallback : Number(fields[i + 1]);
  };
  return (text) => {
    const m = re.exec(text);
    if (!m) return undefined;
    const [y, mo, d, h, mi, s] = ["YYYY", "MM", "DD", "HH", "mm", "ss"].map((t) => at(m, t));
    const fraction = order.includes("SSS") ? Number(`0.${m[order.indexOf("SSS") + 1]}`) : 0;
    const day = new Date(utcMs(y!, mo! - 1, d!));
    if (mo! < 1 || mo! > 12 || day.getUTCMonth() + 1 !== mo || day.getUTCDate() !== d)
      return `impossible date "${text}"`;
    if (h! > 23 || mi! > 59 || s! > 59) return `impossible time "${text}"`;
    return {localMs: utcMs(y!, mo! - 1, d!, h, mi, s, Math.round(fraction * 1000))};
  };
}

const escapeLiteral = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The timestamp reader a dataset's options ask for: its `time_format` first (wall-clock times in
 * its `timezone`), then the forms `parseTimestamp` knows; zone-less ISO times are read in the
 * time zone too. Throws nothing: a bad value gives a reason.
 */
export function timestampReader({
  timeFormat,
  timezone = "UTC"
}: {
  timeFormat?: string;
  timezone?: string;
}): (value: unknown) => Date | string {
  const offsetAt = zoneOffset(timezone);
  const wallClock: WallClock = timezone === "UTC" ? 0 : (localMs) => wallClockToUtc(localMs, offsetAt);
  const compiled = timeFormat === undefined ? undefined : compileTimeFormat(timeFormat);
  if (typeof compiled === "string") throw new Error(`time format "${timeFormat}": ${compiled}`);
  if (!compiled) return (value) => parseTimestamp(value, wallClock);
  return (value) => {
    if (typeof value === "string" || typeof value === "number") {
      const text = String(value).trim();
      const read = compiled(text);
      if (typeof read === "string") return read;
      if (read) return new Date(toInstant(read.localMs, wallClock));
      const other = parseTimestamp(value, wallClock);
      if (typeof other !== "string") return other;
      if (!text) return other;
      return `"${text}" does not match the time_format "${timeFormat}" (nor ISO 8601 or epoch seconds)`;
    }
    return parseTimestamp(value, wallClock);
  };
}
