import type {DailyPoint} from "./zscore.js";

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const safeLog = (x: number) => Math.log(Math.max(x, 1e-9));

/** A day is an outlier of its own baseline beyond this many robust standard deviations (MAD × 1.4826). */
const OUTLIER_SIGMAS = 4;
/** The outlier test's scale has at least this much spread (log units), so a flat series flags nothing on rounding. */
const MIN_LOG_SCALE = 0.02;

/**
 * Which days are outliers of their own trailing baseline, walking forward so each day's baseline
 * already leaves out the earlier outliers: a day's log ratio to the median of the same weekday in
 * the 4 weeks before (outliers left out; all of them when every one is out, so a lasting change of
 * level is the new normal after 4 weeks) against the median and MAD of the 28 ratios before it.
 */
export function trailingOutliers(points: DailyPoint[]): boolean[] {
  const flags = points.map(() => false);
  const ratios: number[] = points.map(() => NaN);
  for (let i = 7; i < points.length; i++) {
    ratios[i] = safeLog(points[i]!.value) - safeLog(sameWeekdayBaseline(points, flags, i));
    const history: number[] = [];
    for (let j = Math.max(7, i - 28); j < i; j++) if (!flags[j]) history.push(ratios[j]!);
    if (history.length < 7) continue;
    const center = median(history);
    const scale = Math.max(MIN_LOG_SCALE, 1.4826 * median(history.map((r) => Math.abs(r - center))));
    flags[i] = Math.abs(ratios[i]! - center) > OUTLIER_SIGMAS * scale;
  }
  return flags;
}

/** The median of the same weekday over the 4 weeks before day i, outliers left out unless all are. */
function sameWeekdayBaseline(points: DailyPoint[], flags: boolean[], i: number): number {
  const all: number[] = [];
  const clean: number[] = [];
  for (let k = 7; k <= 28 && i - k >= 0; k += 7) {
    all.push(points[i - k]!.value);
    if (!flags[i - k]) clean.push(points[i - k]!.value);
  }
  return median(clean.length ? clean : all);
}

/**
 * Isolation Forest features for a daily series, from previous days only, each against a robust
 * baseline that leaves out the days that were outliers of theirs (`trailingOutliers`), so the
 * week after a big event is not scored against that event: log ratio to the same weekday's median
 * over the last 4 weeks, log ratio to the median of the last 7 days, their robust coefficient of
 * variation (MAD × 1.4826 / median), and the day of week. Days without 4 weeks of history get none.
 */
export function dailyFeatures(points: DailyPoint[]): {day: string; features: number[]}[] {
  const flags = trailingOutliers(points);
  const out: {day: string; features: number[]}[] = [];
  for (let i = 28; i < points.length; i++) {
    const x = points[i]!.value;
    const all7: number[] = [];
    const clean7: number[] = [];
    for (let j = i - 7; j < i; j++) {
      all7.push(points[j]!.value);
      if (!flags[j]) clean7.push(points[j]!.value);
    }
    const last7 = clean7.length >= 3 ? clean7 : all7;
    const median7 = median(last7);
    const mad7 = median(last7.map((v) => Math.abs(v - median7)));
    const dow = new Date(`${points[i]!.day}T00:00:00Z`).getUTCDay();
    out.push({
      day: points[i]!.day,
      features: [
        safeLog(x) - safeLog(sameWeekdayBaseline(points, flags, i)),
        safeLog(x) - safeLog(median7),
        median7 > 0 ? (1.4826 * mad7) / median7 : 0,
        dow / 6
      ]
    });
  }
  return out;
}
