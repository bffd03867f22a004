import {MEASURES} from "./mpcb-columns.js";
import type {CetpReading} from "./types.js";

/** Readings stamped before this are not from a working analyser. */
export const EARLIEST_READING = new Date("2000-01-01T00:00:00Z");
/** How far past the server's clock a reading may be stamped (a site clock set a day wrong at most). */
export const MAX_READING_LEAD_MS = 24 * 3600_000;

/**
 * Why a reading cannot be real, or undefined when it can: stamped before 2000 or more than a day
 * ahead, a concentration (COD, BOD, TSS) below zero, a pH outside 0–14, or a value not finite.
 */
export function implausibility({reading, now}: {reading: CetpReading; now: Date}): string | undefined {
  const t = reading.ts.getTime();
  if (!Number.isFinite(t)) return "no valid time";
  if (t < EARLIEST_READING.getTime())
    return `stamped ${reading.ts.toISOString()}, before ${EARLIEST_READING.toISOString()}`;
  if (t - now.getTime() > MAX_READING_LEAD_MS)
    return `stamped ${reading.ts.toISOString()}, more than a day after the server's clock`;
  const reasons: string[] = [];
  for (const m of MEASURES) {
    const v = reading[m];
    if (v === null) continue;
    if (!Number.isFinite(v)) reasons.push(`${m} is not finite`);
    else if (m.endsWith("_ph") ? v < 0 || v > 14 : v < 0)
      reasons.push(m.endsWith("_ph") ? `${m} ${v} is outside 0–14` : `${m} ${v} is negative`);
  }
  return reasons.length ? reasons.join("; ") : undefined;
}

/**
 * Why a row read from a file cannot be a real reading, naming the column, or undefined when it
 * can: the same rules as `implausibility`, for the export's and the factory feeds' columns alike.
 */
export function readingProblem({
  ts,
  values,
  now
}: {
  ts: Date;
  values: [column: string, value: number | null][];
  now: Date;
}): {column: string | null; reason: string} | undefined {
  const t = ts.getTime();
  if (t < EARLIEST_READING.getTime())
    return {
      column: null,
      reason: `implausible time ${ts.toISOString()}: before ${EARLIEST_READING.toISOString().slice(0, 10)}`
    };
  if (t - now.getTime() > MAX_READING_LEAD_MS)
    return {column: null, reason: `implausible time ${ts.toISOString()}: more than a day in the future`};
  for (const [column, v] of values) {
    if (v === null) continue;
    const ph = /(^|_)ph$/i.test(column);
    if (!Number.isFinite(v)) return {column, reason: `${v} is not a finite number`};
    if (ph ? v < 0 || v > 14 : v < 0)
      return {column, reason: ph ? `pH ${v} is outside 0–14` : `${v} is negative: a concentration cannot be`};
  }
  return undefined;
}
