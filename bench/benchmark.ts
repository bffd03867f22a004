/** A benchmark: a script that measures and returns its figures (never part of `npm test`). */
export interface Benchmark {
  name: string;
  summary: string;
  /** Runs the measurement; `log` prints readable lines; returns the figures by key. */
  run(options: {
    log: (line: string) => void;
    flags: Record<string, string | boolean>;
  }): Promise<Record<string, number | string | boolean>>;
}
