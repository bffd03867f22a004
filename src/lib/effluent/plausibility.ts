import {MEASURES} from "./mpcb-columns.js";
import type {CetpReading} from "./types.js";

/** Readings stamped before this are not from a working analyser. */
export const EARLIEST_READING = new Date("2000-01-01T00:00:00Z");
/** How far past the server's clock a reading may be stamped (a site clock set a day wrong at most). */
export const MAX_READING_LEAD_MS = 24 * 3600_000;

/** One reason a reading cannot be real, as facts; the MPCB server and the file readers word it each their way. */
export type Implausible =
  | {kind: "before" | "ahead"; ts: Date; bound: Date}
  | {kind: "not-finite" | "negative" | "ph-range"; column: string; value: number};

/**
 * Every reason a reading cannot be real, in order (its time first, then its columns): stamped
 * before 2000 or more than a day ahead of `now`, a value not finite, a concentration (COD, BOD,
 * TSS) below zero, a pH outside 0–14. Columns ending in `ph` are pH. A site's dataset.json may
 * move the window (`earliest`, `latest`).
 */
export function implausibleFacts({
  ts,
  values,
  now,
  earliest = EARLIEST_READING,
  latest
}: {
  ts: Date;
  values: [column: string, value: number | null][];
  now: Date;
  earliest?: Date;
  latest?: Date;
}): Implausible[] {
  const facts: Implausible[] = [];
  const t = ts.getTime();
  const last = latest ?? new Date(now.getTime() + MAX_READING_LEAD_MS);
  if (t < earliest.getTime()) facts.push({kind: "before", ts, bound: earliest});
  else if (t > last.getTime()) facts.push({kind: "ahead", ts, bound: last});
  for (const [column, value] of values) {
    if (value === null) continue;
    if (!Number.isFinite(value)) facts.push({kind: "not-finite", column, value});
    else if (/(^|_)ph$/i.test(column) ? value < 0 || value > 14 : value < 0)
      facts.push({kind: /(^|_)ph$/i.test(column) ? "ph-range" : "negative", column, value});
  }
  return facts;
}

/**
 * Why an uploaded reading cannot be real, every reason joined, or undefined when it can (the
 * MPCB server's wording).
 */
export function implausibility({reading, now}: {reading: CetpReading; now: Date}): string | undefined {
  if (!Number.isFinite(reading.ts.getTime())) return "no valid time";
  const facts = implausibleFacts({ts: reading.ts, values: MEASURES.map((m) => [m, reading[m]]), now});
  if (facts[0]?.kind === "before" || facts[0]?.kind === "ahead") {
    const f = facts[0];
    return f.kind === "before"
      ? `stamped ${f.ts.toISOString()}, before ${EARLIEST_READING.toISOString()}`
      : `stamped ${f.ts.toISOString()}, more than a day after the server's clock`;
  }
  const reasons = facts.flatMap((f) =>
    !("column" in f)
      ? []
      : f.kind === "not-finite"
        ? [`${f.column} is not finite`]
        : [`${f.column} ${f.value} ${f.kind === "negative" ? "is negative" : "is outside 0–14"}`]
  );
  return reasons.length ? reasons.join("; ") : undefined;
}

/**
 * Why a row read from a file cannot be a real reading, naming the column, or undefined when it
 * can: the first of `implausibleFacts`, worded for the quarantine table.
 */
export function readingProblem(options: {
  ts: Date;
  values: [column: string, value: number | null][];
  now: Date;
  earliest?: Date;
  latest?: Date;
}): {column: string | null; reason: string} | undefined {
  const fact = implausibleFacts(options)[0];
  if (!fact) return undefined;
  switch (fact.kind) {
    case "before":
      return {column: null, reason: `implausible time ${fact.ts.toISOString()}: before ${dateText(fact.bound)}`};
    case "ahead":
      return {
        column: null,
        reason: `implausible time ${fact.ts.toISOString()}: ${options.latest ? `after ${dateText(fact.bound)}` : "more than a day in the future"}`
      };
    case "not-finite":
      return {column: fact.column, reason: `${fact.value} is not a finite number`};
    case "negative":
      return {column: fact.column, reason: `${fact.value} is negative: a concentration cannot be`};
    case "ph-range":
      return {column: fact.column, reason: `pH ${fact.value} is outside 0–14`};
  }
}

/** A bound as a date when it is midnight UTC, else in full. */
const dateText = (d: Date) => (d.getTime() % 86_400_000 === 0 ? d.toISOString().slice(0, 10) : d.toISOString());
