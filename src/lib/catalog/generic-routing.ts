import type {RoutingRule} from "./config.js";

/** The generic plugin's routing: the last rules, so any pipeline's rule for a CSV wins. */
export const genericRouting: RoutingRule[] = [
  {glob: "**/*.csv", tag: "csv"},
  {glob: "**/*.{jsonl,ndjson}", tag: "jsonl"}
];
