import type {TamperEvent} from "./types.js";

/** A tamper finding in live mode: one id for its whole life, its window widened as rows arrive. */
export interface LiveTamper extends TamperEvent {
  finding_id: string;
}

/**
 * The tamper findings of a live run. Each batch re-analyses recent readings, so a run that is still
 * growing (a sensor still frozen) comes back with a later end, and, once its start leaves the
 * analysed window, a later start too: a finding of the same factory and kind whose window overlaps
 * a known one is that one, widened (its first start kept), never a new finding.
 */
export class TamperLedger {
  private readonly findings: LiveTamper[] = [];

  get all(): readonly LiveTamper[] {
    return this.findings;
  }

  /** Folds a batch's findings in: the new ones, and the known ones whose window grew. */
  merge(found: readonly TamperEvent[]): {added: LiveTamper[]; updated: LiveTamper[]} {
    const added: LiveTamper[] = [];
    const updated = new Set<LiveTamper>();
    for (const t of found) {
      const known = this.findings.find(
        (k) =>
          k.factory_id === t.factory_id &&
          k.kind === t.kind &&
          t.window_start <= k.window_end &&
          t.window_end >= k.window_start
      );
      if (!known) {
        const finding = {
          ...t,
          finding_id: `${t.kind}-${t.factory_id ?? "site"}-${t.window_start.toISOString().slice(0, 16)}`
        };
        this.findings.push(finding);
        added.push(finding);
        continue;
      }
      const start = t.window_start < known.window_start ? t.window_start : known.window_start;
      const end = t.window_end > known.window_end ? t.window_end : known.window_end;
      if (start.getTime() !== known.window_start.getTime() || end.getTime() !== known.window_end.getTime()) {
        known.window_start = start;
        known.window_end = end;
        known.detail = t.detail;
        if (!added.includes(known)) updated.add(known);
      }
    }
    return {added, updated: [...updated]};
  }
}
