export type Figure = number | string | boolean;

/** What a figure must reach: `min` (≥), `max` (<), or an exact value. */
export interface Target {
  min?: number;
  max?: number;
  equals?: Figure;
}

/** A benchmark: a script that measures and returns its figures (never part of `npm test`). */
export interface Benchmark {
  name: string;
  summary: string;
  /** The figures it is held to, shown beside them in docs/benchmarks.md. */
  targets?: Record<string, Target>;
  /** Runs the measurement; `log` prints readable lines; returns the figures by key. */
  run(options: {log: (line: string) => void; flags: Record<string, string | boolean>}): Promise<Record<string, Figure>>;
}
