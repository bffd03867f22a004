import type {TableSink} from "../../core/table-sink.js";
import {MARKET_CALIBRATION_COLUMNS} from "../tables.js";
import type {Calibration, HoldoutCheck} from "./calibrate.js";

/** The fitted parameters worth reading, in the recording's units (sizes in base currency). */
export function fittedSummary(c: Calibration): Record<string, unknown> {
  const e = c.estimate,
    cfg = c.config;
  const median = (q: number[]) => (q[Math.floor(q.length / 2)] ?? NaN) * e.lotSize;
  const limits = cfg.eventsPerSecond * cfg.limitShare;
  return {
    tick_size: e.tickSize,
    lot_size: e.lotSize,
    start_price: e.startPriceTicks * e.tickSize,
    market_orders_per_s: e.hawkes.ratePerS,
    hawkes_baseline_per_s: e.hawkes.baselinePerS,
    hawkes_branching: e.hawkes.branching,
    hawkes_decay_ms: e.hawkes.decayMs,
    market_order_median_size: median(e.marketSizeQuantiles),
    limit_orders_per_s: limits,
    limit_order_median_size: median(cfg.limitSizeQuantiles ?? []),
    cancels_per_s_at_full_depth: cfg.eventsPerSecond - limits,
    cancel_depth: (cfg.cancelDepthLots ?? 0) * e.lotSize,
    cancel_rate_scale: c.refinement.cancelRateScale,
    touch_weight_scale: c.refinement.touchWeightScale,
    cancel_rank_exponent: c.refinement.cancelDistanceExponent,
    limit_offsets_from_own_best: cfg.limitFromOwnBest
  };
}

/** `market_calibration` rows of a held-out check, one per statistic. */
export function calibrationRows({check, source, seed}: {check: HoldoutCheck; source: string; seed: number}): object[] {
  const fitted = JSON.stringify(fittedSummary(check.calibration));
  return check.rows.map((r) => ({
    ...r,
    source,
    train_seconds: check.trainSeconds,
    holdout_seconds: check.holdoutSeconds,
    simulated_seconds: check.simulatedSeconds,
    seed,
    fitted
  }));
}

export async function writeCalibrationTable({
  sink,
  check,
  source,
  seed
}: {
  sink: TableSink;
  check: HoldoutCheck;
  source: string;
  seed: number;
}): Promise<number> {
  return sink.write("market_calibration", {
    columns: MARKET_CALIBRATION_COLUMNS,
    rows: calibrationRows({check, source, seed})
  });
}
