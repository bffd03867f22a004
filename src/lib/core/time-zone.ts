/**
 * A zone's UTC offset at an instant, with no time-zone library: an IANA zone's offset is asked of
 * Intl once per quarter hour of time (every offset change in the tz database falls on a quarter
 * hour), so a million readings in one zone cost a few thousand Intl calls. `UTC` and fixed offsets
 * (`+05:30`, `UTC-4`) need no Intl at all.
 */

const QUARTER_HOUR = 15 * 60_000;
const FIXED_OFFSET = /^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$/;
// Intl refuses some far dates (year 1 in a zone with offsets); such a time is set aside by a
// dataset's plausible window anyway, so the nearest modern offset serves.
const INTL_RANGE = [Date.UTC(1850, 0, 1), Date.UTC(9999, 0, 1)] as const;

/** The zone's offset from UTC in minutes at an instant (ms since the epoch): +330 for Asia/Kolkata. */
export type OffsetAt = (ms: number) => number;

/** Whether the zone is a fixed offset (`+05:30`, `UTC-4`) rather than a named zone. */
export function isFixedOffset(timeZone: string): boolean {
  return FIXED_OFFSET.test(timeZone);
}

/** A cached `OffsetAt` for a zone: UTC and fixed offsets are constants, IANA zones go through Intl. */
export function zoneOffset(timeZone: string): OffsetAt {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return () => 0;
  const fixed = FIXED_OFFSET.exec(timeZone);
  if (fixed) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3] ?? 0);
    return () => (fixed[1] === "-" ? -minutes : minutes);
  }
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
      const at = Math.min(Math.max(bucket * QUARTER_HOUR, INTL_RANGE[0]), INTL_RANGE[1]);
      const parts: Record<string, number> = {};
      for (const p of format.formatToParts(at)) if (p.type !== "literal") parts[p.type] = Number(p.value);
      const date = new Date(0);
      date.setUTCFullYear(parts.year!, parts.month! - 1, parts.day!);
      date.setUTCHours(parts.hour!, parts.minute!, 0, 0);
      offset = Math.round((date.getTime() - at) / 60_000);
      if (cache.size > 100_000) cache.clear();
      cache.set(bucket, offset);
    }
    return offset;
  };
}
