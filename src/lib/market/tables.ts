import {columns, type TableDeclaration} from "../domain.js";
import type {FidelityReport} from "./fidelity/report.js";

const D = "DOUBLE";

/** Each moment side by side (reconstructed, golden): the order warehouses already hold the topic in. */
export const FIDELITY_METRICS_COLUMNS = columns(
  "metric:VARCHAR",
  `statistic:${D}`,
  `p_value:${D}`,
  `reconstructed_mean:${D}`,
  `golden_mean:${D}`,
  `reconstructed_variance:${D}`,
  `golden_variance:${D}`,
  `reconstructed_skewness:${D}`,
  `golden_skewness:${D}`,
  `reconstructed_kurtosis:${D}`,
  `golden_kurtosis:${D}`,
  "passed:BOOLEAN",
  "note:VARCHAR",
  `score:${D}`,
  "verdict:VARCHAR",
  "reasons:VARCHAR"
);

/** `fidelity_metrics` rows of a report, one per metric (`lab fidelity` and the catalog alike). */
export function fidelityMetricRows(report: FidelityReport): object[] {
  return report.metrics.map((m) => {
    // Moments are shown only for the tested distributions (the count metrics have no p-value).
    const tested = m.p_value !== null;
    return {
      metric: m.metric,
      statistic: m.statistic,
      p_value: m.p_value,
      reconstructed_mean: m.reconstructed?.mean,
      golden_mean: m.golden?.mean,
      reconstructed_variance: tested ? m.reconstructed?.variance : null,
      golden_variance: tested ? m.golden?.variance : null,
      reconstructed_skewness: tested ? m.reconstructed?.skewness : null,
      golden_skewness: tested ? m.golden?.skewness : null,
      reconstructed_kurtosis: tested ? m.reconstructed?.kurtosis : null,
      golden_kurtosis: tested ? m.golden?.kurtosis : null,
      passed: m.passed,
      note: m.note,
      score: report.score,
      verdict: report.verdict,
      reasons: report.reasons.join("\n")
    };
  });
}

export const MARKET_ACCURACY_COLUMNS = columns(
  "strategy:VARCHAR",
  "events:BIGINT",
  `seconds:${D}`,
  "windows:BIGINT",
  `exact_share:${D}`,
  `best_bid_rmse:${D}`,
  `best_ask_rmse:${D}`,
  "gaps:BIGINT",
  "missing_updates:BIGINT",
  "resyncs:BIGINT",
  "crossed_events:BIGINT",
  "out_of_order:BIGINT",
  `drift_mean:${D}`,
  `drift_max:${D}`
);
export const MARKET_ERROR_SERIES_COLUMNS = columns(
  "strategy:VARCHAR",
  "bucket_start:TIMESTAMP",
  `exact_share:${D}`,
  `best_bid_rmse:${D}`,
  `best_ask_rmse:${D}`
);
export const MARKET_ASSESSMENT_COLUMNS = columns("report:JSON", "markdown:VARCHAR");

export const MARKET_HISTORY_FILES_COLUMNS = columns(
  "kind:VARCHAR",
  "rel_path:VARCHAR",
  "path:VARCHAR",
  "content_hash:VARCHAR",
  "rows:BIGINT"
);
/** One capture or recording file of a market dataset; first_ns/last_ns are exchange times (E/T) of its stream messages. */
export const MARKET_RECORDING_FILES_COLUMNS = columns(
  "kind:VARCHAR",
  "rel_path:VARCHAR",
  "path:VARCHAR",
  "content_hash:VARCHAR",
  "first_ns:BIGINT",
  "last_ns:BIGINT",
  "messages:BIGINT",
  "snapshots:BIGINT",
  "symbol:VARCHAR"
);
/** Per dataset: whether build-time fidelity compared its history with its capture, over which span, and why not. */
export const FIDELITY_STATUS_COLUMNS = columns(
  "state:VARCHAR",
  "history_from_ns:BIGINT",
  "history_to_ns:BIGINT",
  "golden_from_ns:BIGINT",
  "golden_to_ns:BIGINT",
  `overlap_seconds:${D}`,
  "golden_files:VARCHAR",
  "note:VARCHAR"
);
/** The held-out check of a calibrated simulator, one row per KS statistic (src/lib/market/calibrate/). */
export const MARKET_CALIBRATION_COLUMNS = columns(
  "statistic:VARCHAR",
  "summary:VARCHAR",
  `recording_value:${D}`,
  `calibrated_value:${D}`,
  `uncalibrated_value:${D}`,
  `ks_statistic:${D}`,
  `p_value:${D}`,
  "passed:BOOLEAN",
  `uncalibrated_ks_statistic:${D}`,
  `uncalibrated_p_value:${D}`,
  "uncalibrated_passed:BOOLEAN",
  "recording_n:BIGINT",
  "calibrated_n:BIGINT",
  `recording_n_eff:${D}`,
  `calibrated_n_eff:${D}`,
  "source:VARCHAR",
  `train_seconds:${D}`,
  `holdout_seconds:${D}`,
  `simulated_seconds:${D}`,
  "seed:BIGINT",
  "fitted:JSON"
);
export const FIDELITY_VALUES_COLUMNS = columns("metric:VARCHAR", "source:VARCHAR", `value:${D}`);
export const FIDELITY_ACF_COLUMNS = columns("lag:INTEGER", `reconstructed:${D}`, `golden:${D}`);
export const FIDELITY_LEVELS_COLUMNS = columns("side:VARCHAR", "level:INTEGER", `rho:${D}`);
export const CAPTURE_EVENTS_COLUMNS = columns("file:VARCHAR", "local_time:TIMESTAMP", "type:VARCHAR", "detail:JSON");

/** Book levels 0–19 per side, bids first: `bid_<i>_price`, `bid_<i>_size`, then the asks. */
function bookLevels(price: string, size: string): string[] {
  return ["bid", "ask"].flatMap((side) =>
    Array.from({length: 20}, (_, i) => [`${side}_${i}_price:${price}`, `${side}_${i}_size:${size}`]).flat()
  );
}

export const marketTables: TableDeclaration[] = [
  {
    name: "market_events",
    description:
      "one row per trade, snapshot and delta in replay order, with the book state after it (best bid/ask, spread, mid, depth and imbalance over 5 levels, gap, resync, drift); times in ns since the epoch (received_time: the local receive time, null where the input has none); partitioned by symbol and UTC day, with min/max statistics on the times",
    columns: columns(
      "symbol:VARCHAR",
      "event_ts_ns:BIGINT",
      "received_time:BIGINT",
      "event_type:VARCHAR",
      "update_id:BIGINT",
      "trade_id:BIGINT",
      "trade_price:DECIMAL(18,2)",
      "trade_quantity:DECIMAL(18,4)",
      "trade_side:VARCHAR",
      "delta_side:VARCHAR",
      "delta_price:DECIMAL(18,2)",
      "delta_quantity:DECIMAL(18,4)",
      "best_bid:DECIMAL(18,2)",
      "best_ask:DECIMAL(18,2)",
      "spread:DECIMAL(18,2)",
      "mid:DECIMAL(18,3)",
      "bid_depth_5:DECIMAL(18,4)",
      "ask_depth_5:DECIMAL(18,4)",
      "imbalance_5:DOUBLE",
      "gap:BOOLEAN",
      "resync:BOOLEAN",
      "drift:DOUBLE"
    )
  },
  {
    name: "book_samples",
    description: "the top book levels every 100 ms of replay time (lab run market on history files)",
    columns: columns("ts_ns:BIGINT", ...bookLevels("DECIMAL(18,2)", "DECIMAL(18,4)"))
  },
  {
    name: "market_book",
    description: "the simulated history's book snapshots, as delivered",
    columns: columns(
      "origin_time:TIMESTAMP_NS",
      "received_time:TIMESTAMP_NS",
      "sequence_number:BIGINT",
      ...bookLevels(D, D)
    )
  },
  {
    name: "market_trades",
    description: "the simulated history's trades, as delivered",
    columns: columns(
      "origin_time:TIMESTAMP_NS",
      "received_time:TIMESTAMP_NS",
      "trade_id:BIGINT",
      "side:VARCHAR",
      `price:${D}`,
      `quantity:${D}`
    )
  },
  {
    name: "market_accuracy",
    description: "per reconstruction strategy: top-of-book accuracy against the truth and the replay's counters",
    columns: MARKET_ACCURACY_COLUMNS
  },
  {
    name: "market_error_series",
    description: "per strategy and 10 s bucket: exact share and best bid/ask RMSE",
    columns: MARKET_ERROR_SERIES_COLUMNS
  },
  {
    name: "market_history_files",
    description: "every history file of a market dataset: its kind (trades, book, deltas), path, content hash and rows",
    columns: MARKET_HISTORY_FILES_COLUMNS
  },
  {
    name: "market_recording_files",
    description:
      "every capture (lab capture's JSON Lines) or recording (`<local ns> <json>` lines) of a market dataset: its kind, path, content hash, exchange-time span, messages and symbol",
    columns: MARKET_RECORDING_FILES_COLUMNS
  },
  {
    name: "fidelity_status",
    description:
      "per dataset with a capture: whether its history was fidelity-tested against it at build time (compared, no_overlap, too_short, no_history) and over which span",
    columns: FIDELITY_STATUS_COLUMNS
  },
  {
    name: "market_assessment",
    description: "the input assessor's report (JSON and Markdown) and its recommended strategy",
    columns: MARKET_ASSESSMENT_COLUMNS
  },
  {
    name: "fidelity_metrics",
    description: "per metric: the KS test of the replay against the golden sample, moments, score and verdict",
    columns: FIDELITY_METRICS_COLUMNS
  },
  {
    name: "fidelity_values",
    description: "sampled values of each fidelity metric, reconstructed and golden",
    columns: FIDELITY_VALUES_COLUMNS
  },
  {
    name: "fidelity_acf",
    description: "autocorrelation of absolute mid returns per lag, reconstructed and golden",
    columns: FIDELITY_ACF_COLUMNS
  },
  {
    name: "fidelity_levels",
    description: "per side and book level: depth correlation between the replay and the golden sample",
    columns: FIDELITY_LEVELS_COLUMNS
  },
  {
    name: "market_calibration",
    description:
      "per KS statistic: a simulation calibrated on a recording's first half against its second half, beside the uncalibrated simulator",
    columns: MARKET_CALIBRATION_COLUMNS
  },
  {
    name: "capture_events",
    description: "a short capture session against the local exchange: gaps, reconnects and clock checks",
    columns: CAPTURE_EVENTS_COLUMNS
  }
];
