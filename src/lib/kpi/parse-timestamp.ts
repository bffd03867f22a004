/**
 * Normalises the timestamp forms event exports mix: ISO 8601 with a zone (`2024-03-01T10:00:00Z`,
 * `…+05:30`), a date (`2024-03-01`), a zone-less local time (`2024-03-01 10:00[:00]`, read at
 * `assumeUtcOffsetMinutes`), and epoch seconds or milliseconds. Returns a reason for anything else.
 */
export function parseTimestamp(text: unknown, assumeUtcOffsetMinutes = 0): Date | string {
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
  if (!m) return `unrecognised timestamp "${s}" (use ISO 8601, YYYY-MM-DD, or epoch seconds)`;
  const [, y, mo, d, h = "0", mi = "0", sec = "0", frac = "", zone] = m;
  const day = new Date(utcMs(+y!, +mo! - 1, +d!));
  if (day.getUTCMonth() + 1 !== +mo! || day.getUTCDate() !== +d!) return `impossible date "${s}"`;
  if (+h > 23 || +mi > 59 || +sec > 59) return `impossible time "${s}"`;
  let ms = utcMs(+y!, +mo! - 1, +d!, +h, +mi, +sec, Math.round(Number(`0${frac}`) * 1000));
  if (m[4] === undefined) return new Date(ms); // a bare date is that calendar day
  if (zone === undefined) ms -= assumeUtcOffsetMinutes * 60_000;
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
