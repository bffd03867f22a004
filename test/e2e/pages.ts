import {tableLabel} from "../../src/lib/home/pipeline-summaries.js";
import {declaredTables} from "../../src/lib/registry.js";

/**
 * What every page of the built site must show once its cells have run. Each page of `dist/` needs
 * an entry here (the suite fails on a page without one), so every new page joins the browser tests.
 * `plots`: Plot SVGs with at least one drawn mark; `tables`: table outputs (SQL cells) with rows;
 * `text`: strings that must appear in the rendered page.
 */
export interface PageExpectation {
  plots: number;
  tables: number;
  text?: string[];
}

export const pageExpectations: Record<string, PageExpectation> = {
  "/": {plots: 1, tables: 1, text: ["Pipeline Lab"]},
  "/pages/lab/datasets": {plots: 0, tables: 1, text: ["How to add a dataset", "datasets/kpi/", "simulated"]},
  "/pages/lab/sql-over-parquet": {plots: 1, tables: 2, text: ["random walk", "walk C", "499"]},
  "/pages/effluent": {
    plots: 3,
    tables: 4,
    text: [
      "Dataset",
      "Rows set aside",
      "robust_lag (ours)",
      "fixed_lookback (reference)",
      "FINGERPRINT",
      "BLACKOUT",
      "DILUTION",
      "FROZEN"
    ]
  },
  "/pages/meters": {
    plots: 8,
    tables: 2,
    text: ["Dataset", "Rows set aside", "RESIDENTIAL", "DEGRADED", "in_range_a_pct", "p99"]
  },
  "/pages/kpi": {
    plots: 2,
    tables: 3,
    text: [
      "Dataset",
      "Rows set aside",
      "iforest",
      "zscore",
      "Week over week",
      "Reliability",
      "SARIMAX",
      "seasonal_naive"
    ]
  },
  "/pages/market": {
    plots: 8,
    tables: 1,
    text: [
      "Dataset",
      "Rows set aside",
      "full_event_replay",
      "snapshot_anchored",
      "origin_time_sort",
      "Gaps, resyncs and drift",
      "Recommended: full_event_replay",
      "Delta completeness"
    ]
  },
  "/pages/market/fidelity": {
    plots: 5,
    tables: 2,
    text: ["Dataset", "Verdict", "fidelity score", "spread", "Volatility clustering", "sync"]
  },
  "/pages/catalog": {
    plots: 1,
    tables: 3,
    text: ["random-walks.sim.json", "demo-random-walks", "Datasets", "Rows set aside", "simulated"]
  }
};

/**
 * The home page labels every table a pipeline declares with that pipeline (`table · pipeline`,
 * see tableLabel): checked as text on "/" with the expectations above.
 */
pageExpectations["/"]!.text!.push(
  ...declaredTables().map((t) => tableLabel({table: t.name, pipeline: t.domain.title})),
  tableLabel({table: "raw_samples", pipeline: "Ingestion catalog"}),
  tableLabel({table: "note_words", pipeline: "plugin word-counts"})
);
