import type {Rng} from "../core/random.js";

export interface RandomWalkStep {
  walk: string;
  step: number;
  value: number;
}

export interface RandomWalkOptions {
  rng: Rng;
  walks?: number;
  steps?: number;
  /** Standard deviation of one step. */
  stepSd?: number;
}

/**
 * Gaussian random walks, `walks` series of `steps` points each starting at 0: the lab shell's
 * smallest deterministic pipeline, used by the SQL-over-Parquet demo page and the tests.
 */
export function* randomWalks({rng, walks = 3, steps = 500, stepSd = 1}: RandomWalkOptions): Generator<RandomWalkStep> {
  for (let w = 0; w < walks; w++) {
    const walk = `walk ${String.fromCharCode(65 + (w % 26))}${w >= 26 ? Math.floor(w / 26) : ""}`;
    const stream = rng.fork(walk);
    let value = 0;
    for (let step = 0; step < steps; step++) {
      if (step > 0) value += stream.normal(0, stepSd);
      yield {walk, step, value};
    }
  }
}
