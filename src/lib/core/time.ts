import {LabError} from "./errors.js";

/** Nanoseconds since the epoch, as bigint, from a Date, an ISO string or milliseconds. */
export function toNs(value: Date | string | number): bigint {
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (Number.isNaN(ms)) throw new LabError({reason: `not a time: ${String(value)}`});
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

export function nsToDate(ns: bigint): Date {
  return new Date(Number(ns / 1_000_000n));
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Parses a local wall-clock time `YYYY-MM-DD HH:MM[:SS]` at a fixed UTC offset (IST is +330
 * minutes) into a UTC Date. Anything else is a LabError naming the text.
 */
export function parseLocalTime({
  text,
  utcOffsetMinutes,
  file,
  line,
  column
}: {
  text: string;
  utcOffsetMinutes: number;
  file?: string;
  line?: number;
  column?: string | number;
}): Date {
  const m = LOCAL_TIME.exec(text.trim());
  if (!m) throw new LabError({file, line, column, reason: `bad time "${text}"`, hint: "expected YYYY-MM-DD HH:MM"});
  const [y, mo, d, h, mi, s] = m.slice(1).map((part) => (part === undefined ? 0 : Number(part))) as [
    number,
    number,
    number,
    number,
    number,
    number
  ];
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  const wall = new Date(Date.UTC(2000, 0, 1, h, mi, s));
  wall.setUTCFullYear(y, mo - 1, d);
  const ms = wall.getTime() - utcOffsetMinutes * 60_000;
  const check = new Date(ms + utcOffsetMinutes * 60_000);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new LabError({file, line, column, reason: `impossible time "${text}"`});
  }
  return new Date(ms);
}
