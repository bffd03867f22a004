import type {MarketInputs} from "../src/lib/market/history/inputs.js";
import {fileOrderSource, openScratchDuck, planInputs, strategyInputs} from "../src/lib/market/replay/replay-inputs.js";

/**
 * The market benchmark's read-only pass: the replay's inputs read exactly as the replay reads
 * them by default (the same checks and queries, in file order through the same typed-array
 * reader), every value touched, nothing replayed — the cost of reading alone.
 */
export async function scanMarketInputs({
  inputs,
  outDir
}: {
  inputs: MarketInputs;
  outDir: string;
}): Promise<{rows: number; checksum: number; seconds: number}> {
  const started = performance.now();
  const used = strategyInputs({inputs, strategy: "full_event_replay"});
  const scratch = await openScratchDuck({outDir});
  try {
    const duck = scratch.duck;
    const plan = await planInputs({duck, used, reader: "window"});
    let rows = 0,
      checksum = 0;
    for (const name of ["deltas", "book", "trades"] as const) {
      const path = used[name];
      if (!path) continue;
      const source = await fileOrderSource({duck, plan, name, path, fromRow: 0});
      for (let chunk = await source.next(); chunk; chunk = await source.next()) {
        // Row-major chunks (the slice reader's) hold n × stride values in one array.
        const values = chunk.n * (chunk.stride ?? 1);
        for (const column of chunk.columns) checksum += touch(column, values);
        rows += chunk.n;
      }
      source.close();
    }
    return {rows, checksum, seconds: (performance.now() - started) / 1000};
  } finally {
    scratch.close();
  }
}

/** Sum of a column's first n values (NaN as 0): reads every value, one array type per call. */
function touch(column: Float64Array | Uint8Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = column[i]!;
    if (v === v) sum += v;
  }
  return sum;
}

/** One scan/replay pair of the market benchmark's child process (times in seconds). */
export interface ScanReplayRound {
  events: number;
  replay_s: number;
  replay_cpu_s: number;
  replay_main_cpu_s: number | null;
  scan_main_cpu_s: number | null;
  scan_rows: number | null;
  scan_s: number | null;
  scan_cpu_s: number | null;
  scan_first: boolean;
}
