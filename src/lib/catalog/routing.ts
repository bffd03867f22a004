import picomatch from "picomatch";
import type {RoutingRule} from "./config.js";

/** The tag of a path: the first rule whose glob matches it, or undefined (the file is ignored). */
export function routeTag({relPath, rules}: {relPath: string; rules: RoutingRule[]}): string | undefined {
  for (const rule of rules) if (picomatch.isMatch(relPath, rule.glob, {dot: false})) return rule.tag;
  return undefined;
}

const DAY_MS = 86_400_000;

/** Newer files first: 3 within a day, 2 within a week, 1 for older files. */
export function agePriority({mtime, now}: {mtime: Date; now: Date}): number {
  const age = now.getTime() - mtime.getTime();
  return age <= DAY_MS ? 3 : age <= 7 * DAY_MS ? 2 : 1;
}
