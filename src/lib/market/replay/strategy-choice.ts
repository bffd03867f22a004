import type {Strategy} from "./types.js";

/**
 * The replay's strategy: the one asked for, or the assessor's recommendation when none was (an
 * input the asked-for strategy needs and lacks stays an error, from the replay). Says which on
 * the log.
 */
export function chooseStrategy({
  requested,
  recommendation,
  log
}: {
  requested: Strategy | undefined;
  recommendation: {strategy: Strategy; reason: string};
  log: (line: string) => void;
}): Strategy {
  if (requested) {
    if (recommendation.strategy !== requested)
      log(`note: the assessor recommends ${recommendation.strategy} for these inputs (${recommendation.reason})`);
    return requested;
  }
  log(`market: replaying with ${recommendation.strategy}, as the assessor recommends (${recommendation.reason})`);
  return recommendation.strategy;
}

/** The assessment's closing line: the strategy used, and who chose it. */
export function replayedWith({strategy, chosen_by}: {strategy: string; chosen_by: string}): string {
  return chosen_by === "assessor"
    ? `**Replayed with ${strategy}**, the recommended strategy (no strategy was asked for).`
    : `**Replayed with ${strategy}**, as asked for (${chosen_by}).`;
}
