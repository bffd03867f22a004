import {readFileSync} from "node:fs";
import type {BinanceFeedFiles} from "../../src/lib/market/sim/binance-feed-files.js";

/**
 * A simulated run's live feed as a `<local ns> <json>` recording: every stream message and REST
 * snapshot the simulator published, received 1 ms after it was sent, each snapshot before the
 * first message after it — what recording the simulated exchange would have given.
 */
export function liveFeedRecording(live: BinanceFeedFiles): string {
  const lines = (path: string) => readFileSync(path, "utf-8").split("\n").filter(Boolean);
  const snaps = lines(live.snapshots).map((l) => JSON.parse(l) as {E: number});
  const out: string[] = [];
  let si = 0;
  const at = (ms: number) => `${BigInt(ms + 1) * 1_000_000n}`;
  for (const line of lines(live.stream)) {
    const {data} = JSON.parse(line) as {data: {E: number}};
    while (si < snaps.length && snaps[si]!.E <= data.E) {
      const {E, ...snapshot} = snaps[si++]!;
      out.push(`${at(E)} ${JSON.stringify(snapshot)}`);
    }
    out.push(`${at(data.E)} ${line}`);
  }
  return out.join("\n") + "\n";
}
