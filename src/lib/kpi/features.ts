import type {DailyPoint} from "./zscore.js";

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Isolation Forest features for a daily series, from previous days only: log ratio to the same
 * weekday's median over the last 4 weeks, log ratio to the trailing 7-day mean, the trailing
 * 7-day coefficient of variation, and the day of week. Days without 4 weeks of history get none.
 */
export function dailyFeatures(points: DailyPoint[]): {day: string; features: number[]}[] {
  const out: {day: string; features: number[]}[] = [];
  for (let i = 28; i < points.length; i++) {
    const x = points[i]!.value;
    const sameWeekday = [7, 14, 21, 28].map((k) => points[i - k]!.value);
    const last7 = points.slice(i - 7, i).map((p) => p.value);
    const mean7 = last7.reduce((a, b) => a + b, 0) / 7;
    const sd7 = Math.sqrt(last7.reduce((a, b) => a + (b - mean7) ** 2, 0) / 6);
    const dow = new Date(`${points[i]!.day}T00:00:00Z`).getUTCDay();
    out.push({
      day: points[i]!.day,
      features: [
        Math.log(Math.max(x, 1e-9) / Math.max(median(sameWeekday), 1e-9)),
        Math.log(Math.max(x, 1e-9) / Math.max(mean7, 1e-9)),
        mean7 > 0 ? sd7 / mean7 : 0,
        dow / 6
      ]
    });
  }
  return out;
}
