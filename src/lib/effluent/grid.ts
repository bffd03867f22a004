const MINUTE = 60_000;

/** A series on a one-minute grid from `t0`: NaN where nothing was reported. */
export function minuteGrid<T>({
  rows,
  t0,
  minutes,
  time,
  value
}: {
  rows: readonly T[];
  t0: number;
  minutes: number;
  time: (row: T) => Date;
  value: (row: T) => number | null;
}): Float64Array {
  const grid = new Float64Array(minutes).fill(Number.NaN);
  for (const row of rows) {
    const m = Math.round((time(row).getTime() - t0) / MINUTE);
    const v = value(row);
    if (m >= 0 && m < minutes && v !== null) grid[m] = v;
  }
  return grid;
}

export function median(values: number[]): number {
  if (!values.length) return Number.NaN;
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median and scaled MAD (≈ sd for normal data) of the finite values in [from, to). */
export function robustStats(series: Float64Array, from: number, to: number): {median: number; mad: number; n: number} {
  const values: number[] = [];
  for (let i = Math.max(0, from); i < Math.min(series.length, to); i++)
    if (Number.isFinite(series[i]!)) values.push(series[i]!);
  const m = median(values);
  return {median: m, mad: 1.4826 * median(values.map((v) => Math.abs(v - m))), n: values.length};
}

export {MINUTE};
