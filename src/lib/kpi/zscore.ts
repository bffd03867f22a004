export interface DailyPoint {
  day: string;
  value: number;
}

export interface Flag {
  day: string;
  value: number;
  score: number;
  isAnomaly: boolean;
}

/**
 * The trailing rolling z-score: each day against the mean and standard deviation of the
 * `window` days before it (never itself); |z| ≥ threshold is an anomaly. The first `window`
 * days have no score.
 */
export function rollingZScore({
  points,
  window = 7,
  threshold = 3
}: {
  points: DailyPoint[];
  window?: number;
  threshold?: number;
}): Flag[] {
  const out: Flag[] = [];
  for (let i = window; i < points.length; i++) {
    const prev = points.slice(i - window, i).map((p) => p.value);
    const mean = prev.reduce((a, b) => a + b, 0) / window;
    const sd = Math.sqrt(prev.reduce((a, b) => a + (b - mean) ** 2, 0) / (window - 1));
    const z = sd > 0 ? (points[i]!.value - mean) / sd : 0;
    out.push({day: points[i]!.day, value: points[i]!.value, score: +z.toFixed(4), isAnomaly: Math.abs(z) >= threshold});
  }
  return out;
}
