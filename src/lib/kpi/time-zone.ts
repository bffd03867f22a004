/** Calendar days in a time zone, from the zone offsets of src/lib/core/time-zone.ts. */

const DAY = 86_400_000;

/** Whether Intl knows the zone (`Asia/Kolkata`, `UTC`, `America/New_York`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", {timeZone});
    return true;
  } catch {
    return false;
  }
}

import type {OffsetAt} from "../core/time-zone.js";

export {zoneOffset, type OffsetAt} from "../core/time-zone.js";

/** The instant of a wall-clock time (its fields read as if UTC: `localMs`) in the zone. */
export function wallClockToUtc(localMs: number, offsetAt: OffsetAt): number {
  const first = localMs - offsetAt(localMs) * 60_000;
  const second = offsetAt(first);
  // Across a change of offset the second guess is the right one; in a spring-forward gap (a
  // wall time that does not exist) it lands an hour on, as clocks do.
  return localMs - second * 60_000;
}

/** The local calendar day of an instant, as the ms of that day's UTC midnight (a DATE's value). */
export function localDayMs(ms: number, offsetAt: OffsetAt): number {
  return Math.floor((ms + offsetAt(ms) * 60_000) / DAY) * DAY;
}
