/**
 * Calendar days in an IANA time zone through Intl, with no time-zone library: a zone's UTC offset
 * is asked of Intl once per quarter hour of time (every offset change in the tz database falls on
 * a quarter hour), so a million events in one zone cost a few thousand Intl calls.
 */

const QUARTER_HOUR = 15 * 60_000;
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

/** The zone's offset from UTC in minutes at an instant (ms since the epoch): +330 for Asia/Kolkata. */
export type OffsetAt = (ms: number) => number;

/** A cached `OffsetAt` for a zone; UTC is a constant 0. */
export function zoneOffset(timeZone: string): OffsetAt {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return () => 0;
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric"
  });
  const cache = new Map<number, number>();
  return (ms) => {
    const bucket = Math.floor(ms / QUARTER_HOUR);
    let offset = cache.get(bucket);
    if (offset === undefined) {
      const at = bucket * QUARTER_HOUR;
      const parts: Record<string, number> = {};
      for (const p of format.formatToParts(at)) if (p.type !== "literal") parts[p.type] = Number(p.value);
      const date = new Date(0);
      date.setUTCFullYear(parts.year!, parts.month! - 1, parts.day!);
      date.setUTCHours(parts.hour!, parts.minute!, 0, 0);
      offset = Math.round((date.getTime() - at) / 60_000);
      cache.set(bucket, offset);
    }
    return offset;
  };
}

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
