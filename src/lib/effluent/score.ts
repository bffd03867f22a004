import type {TruthShock, TruthTamper} from "./simulate.js";
import type {Attribution, ShockEvent, TamperEvent} from "./types.js";

export interface AttributionScore {
  method: string;
  /** Injected factory shocks whose event was attributed to the right factory. */
  factoryShocks: number;
  correct: number;
  accuracy: number;
  /** Events no factory caused (orphan shocks and noise crossings) … */
  noFactoryEvents: number;
  /** … and how many of them were attributed anyway. */
  falselyAttributed: number;
  falseAttributionRate: number;
}

const overlaps = (a0: Date, a1: Date, b0: Date, b1: Date) => a0 <= b1 && b0 <= a1;

/** Scores one method's attributions against the simulator's truth table. */
export function scoreAttribution({
  events,
  attributions,
  truth,
  method
}: {
  events: ShockEvent[];
  attributions: Attribution[];
  truth: TruthShock[];
  method: string;
}): AttributionScore {
  const byEvent = new Map(attributions.filter((a) => a.method === method).map((a) => [a.event_id, a]));
  const factoryTruth = truth.filter((t) => t.factory_id);
  let correct = 0;
  const causedBy = new Map<string, string>();
  for (const t of factoryTruth) {
    const event = events.find((e) => overlaps(e.start_ts, e.end_ts, t.inlet_start, t.inlet_end));
    if (!event) continue;
    causedBy.set(event.event_id, t.factory_id!);
    if (byEvent.get(event.event_id)?.factory_id === t.factory_id) correct++;
  }
  const orphans = events.filter((e) => !causedBy.has(e.event_id));
  const falselyAttributed = orphans.filter((e) => byEvent.get(e.event_id)?.factory_id).length;
  return {
    method,
    factoryShocks: factoryTruth.length,
    correct,
    accuracy: factoryTruth.length ? correct / factoryTruth.length : 1,
    noFactoryEvents: orphans.length,
    falselyAttributed,
    falseAttributionRate: orphans.length ? falselyAttributed / orphans.length : 0
  };
}

/** Injected tamper windows found (same factory, same kind, overlapping), and findings on clean sensors. */
export function scoreTamper({
  findings,
  truth,
  cleanFactories
}: {
  findings: TamperEvent[];
  truth: TruthTamper[];
  cleanFactories: string[];
}): {injected: number; found: number; recall: number; falseOnClean: number} {
  const found = truth.filter((t) =>
    findings.some(
      (f) =>
        f.factory_id === t.factory_id &&
        f.kind === t.kind &&
        overlaps(f.window_start, f.window_end, t.window_start, t.window_end)
    )
  ).length;
  return {
    injected: truth.length,
    found,
    recall: truth.length ? found / truth.length : 1,
    falseOnClean: findings.filter((f) => f.factory_id !== null && cleanFactories.includes(f.factory_id)).length
  };
}
