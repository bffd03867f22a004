import {openDuckDB, type Duck} from "../../core/duckdb.js";
import {LabError} from "../../core/errors.js";
import {bookLevels, registerInputs, type ColumnMapping, type MarketInputs} from "./inputs.js";
import type {Strategy} from "../replay/reconstruct.js";

export type MarketTable = "trades" | "book" | "deltas";
const TABLES: MarketTable[] = ["trades", "book", "deltas"];

/** One input table: its size, time span and how trustworthy its origin_time is. */
export interface TableAssessment {
  table: MarketTable;
  file: string;
  rows: number;
  /** ISO 8601 (UTC, millisecond precision); null when no row has an origin_time. */
  firstOriginTime: string | null;
  lastOriginTime: string | null;
  /** last − first origin_time, in seconds. */
  coveredSeconds: number;
  originTime: {
    /** Rows with a non-null origin_time, as a share of all rows. */
    nonNullShare: number;
    /** Rows whose origin_time is after their received_time (exchange time after arrival: invalid). */
    afterReceivedRows: number;
    afterReceivedShare: number;
    /** received_time − origin_time, in ms. */
    latencyMs: {p50: number | null; p99: number | null; max: number | null};
    /** Rows, read in received_time order, whose origin_time is before that of some earlier row. */
    outOfOrderRows: number;
    outOfOrderShare: number;
    /** Rows sharing their exact origin_time with another row of the same table. */
    tiedRows: number;
    tiedShare: number;
  };
}

export interface GapBucket {
  label: string;
  /** Gap sizes (missing update ids) from min to max inclusive; max null for the open bucket. */
  min: number;
  max: number | null;
  count: number;
}

/** The delta table (book_delta_v2): is every update id there? */
export interface DeltaAssessment {
  present: boolean;
  file: string | null;
  rows: number;
  minUpdateId: number | null;
  maxUpdateId: number | null;
  distinctUpdateIds: number;
  /** max − min + 1. */
  expectedUpdateIds: number;
  /** expected − distinct. */
  missingUpdateIds: number;
  /** distinct / expected; null without update ids. */
  completeness: number | null;
  /** Rows repeating an update id already seen. */
  duplicateRows: number;
  /** Jumps in the sorted update ids: size = next − current − 1 where > 0. */
  gaps: {count: number; mean: number | null; max: number | null; buckets: GapBucket[]};
  /**
   * Rows that sorting by (origin_time, update_id) would place after a later update: what an
   * origin_time_sort replay would apply out of the exchange's sequence.
   */
  originOrderInversions: number;
  originOrderInversionShare: number;
}

export interface SnapshotAssessment {
  present: boolean;
  count: number;
  /** Median time between consecutive snapshots by origin_time, in ms. */
  medianIntervalMs: number | null;
  /** Snapshots with bid_0_price ≥ ask_0_price (the replay flags and skips them). */
  crossed: number;
  crossedShare: number;
  /** Levels per side (bid_0 … bid_N-1). */
  levels: number;
}

/** What a replay with the recommended strategy will need in memory. */
export interface MemoryEstimate {
  strategy: Strategy;
  /** The dense Book: 2 sides × 131072 float64. */
  denseBookMB: number;
  outputBuffersMB: number;
  /** Bytes of the columns the replay sorts (deltas 5, snapshots 2 + 4 × levels, trades 5 doubles per row). */
  sortDataMB: number;
  /** sortDataMB capped at the reconstructor's DuckDB memory limit. */
  sortMemoryMB: number;
  memoryLimitMB: number;
  totalMB: number;
  spillsToDisk: boolean;
  /** Beyond the limit, how much DuckDB spills to its temp directory. */
  spillMB: number;
  notes: string;
}

export interface Recommendation {
  strategy: Strategy;
  reason: string;
  warnings: string[];
}

export interface Assessment {
  inputs: MarketInputs;
  tables: TableAssessment[];
  deltas: DeltaAssessment;
  snapshots: SnapshotAssessment;
  memory: MemoryEstimate;
  recommendation: Recommendation;
}

/** Below this delta completeness the replay anchors on snapshots instead. */
export const MIN_DELTA_COMPLETENESS = 0.9;
/** At or above it, gaps are rare and repaired at the next snapshot. */
export const GOOD_DELTA_COMPLETENESS = 0.99;
/** origin_time_sort is ruled out when more rows than this arrive out of origin_time order. */
export const MAX_OUT_OF_ORDER_SHARE = 0.001;
/** As the reconstructor sets them (reconstruct.ts, book.ts). */
export const REPLAY_MEMORY_LIMIT_MB = 1000;
const BOOK_SLOTS = 131072;
const OUTPUT_BUFFERS_MB = 5;
const MB = 1e6;

export const GAP_BUCKETS: {label: string; min: number; max: number | null}[] = [
  {label: "1", min: 1, max: 1},
  {label: "2–5", min: 2, max: 5},
  {label: "6–20", min: 6, max: 20},
  {label: "21–100", min: 21, max: 100},
  {label: ">100", min: 101, max: null}
];

const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
const iso = (ns: unknown): string | null =>
  ns === null || ns === undefined ? null : new Date(Number(BigInt(ns as bigint) / 1_000_000n)).toISOString();

/** origin_time and received_time must be timestamps (the replay reads them with epoch_ns). */
async function checkTimeColumns(duck: Duck, table: MarketTable, file: string): Promise<void> {
  const columns = await duck.all<{column_name: string; column_type: string}>(`DESCRIBE ${table}`);
  for (const name of ["origin_time", "received_time"]) {
    const type = columns.find((c) => c.column_name === name)?.column_type ?? "";
    if (!type.startsWith("TIMESTAMP")) {
      throw new LabError({
        file,
        column: name,
        reason: `${name} is ${type || "missing"} in the ${table} table, not a TIMESTAMP`,
        hint: "Crypto Lake files store origin_time and received_time as timestamps; convert epoch numbers with make_timestamp_ns / to_timestamp first"
      });
    }
  }
}

async function assessTable(duck: Duck, table: MarketTable, file: string): Promise<TableAssessment> {
  await checkTimeColumns(duck, table, file);
  const [row] = await duck.all(`WITH w AS (
      SELECT epoch_ns(origin_time) AS o, epoch_ns(received_time) AS r,
        max(epoch_ns(origin_time)) OVER (ORDER BY received_time, file_row_number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_max
      FROM ${table}
    )
    SELECT count(*) AS n, count(o) AS with_origin, min(o) AS first_o, max(o) AS last_o,
      count(*) FILTER (WHERE o > r) AS after_received,
      quantile_cont((r - o) / 1e6, 0.5) AS p50, quantile_cont((r - o) / 1e6, 0.99) AS p99, max((r - o) / 1e6) AS max_ms,
      count(*) FILTER (WHERE o < earlier_max) AS out_of_order,
      (SELECT coalesce(sum(k), 0) FROM (SELECT count(*) AS k FROM ${table} WHERE origin_time IS NOT NULL GROUP BY origin_time HAVING count(*) > 1)) AS tied
    FROM w`);
  const r = row!;
  const rows = num(r.n);
  const first = r.first_o as bigint | null,
    last = r.last_o as bigint | null;
  return {
    table,
    file,
    rows,
    firstOriginTime: iso(first),
    lastOriginTime: iso(last),
    coveredSeconds: first !== null && last !== null ? Number(BigInt(last) - BigInt(first)) / 1e9 : 0,
    originTime: {
      nonNullShare: share(num(r.with_origin), rows),
      afterReceivedRows: num(r.after_received),
      afterReceivedShare: share(num(r.after_received), rows),
      latencyMs: {p50: numOrNull(r.p50), p99: numOrNull(r.p99), max: numOrNull(r.max_ms)},
      outOfOrderRows: num(r.out_of_order),
      outOfOrderShare: share(num(r.out_of_order), rows),
      tiedRows: num(r.tied),
      tiedShare: share(num(r.tied), rows)
    }
  };
}

async function assessDeltas(duck: Duck, file: string | undefined): Promise<DeltaAssessment> {
  const none: DeltaAssessment = {
    present: false,
    file: null,
    rows: 0,
    minUpdateId: null,
    maxUpdateId: null,
    distinctUpdateIds: 0,
    expectedUpdateIds: 0,
    missingUpdateIds: 0,
    completeness: null,
    duplicateRows: 0,
    gaps: {count: 0, mean: null, max: null, buckets: GAP_BUCKETS.map((b) => ({...b, count: 0}))},
    originOrderInversions: 0,
    originOrderInversionShare: 0
  };
  if (!file) return none;
  const bucket = (b: {min: number; max: number | null}) =>
    `count(*) FILTER (WHERE gap >= ${b.min}${b.max === null ? "" : ` AND gap <= ${b.max}`}) AS b_${b.min}`;
  const [row] = await duck.all(`WITH ids AS (SELECT update_id::BIGINT AS u FROM deltas WHERE update_id IS NOT NULL),
      g AS (SELECT lead(u) OVER (ORDER BY u) - u - 1 AS gap FROM ids),
      gaps AS (SELECT gap FROM g WHERE gap > 0),
      inv AS (
        SELECT update_id::BIGINT < max(update_id::BIGINT) OVER (ORDER BY origin_time, update_id, file_row_number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS inverted
        FROM deltas WHERE origin_time IS NOT NULL AND update_id IS NOT NULL
      )
    SELECT * FROM (SELECT count(*) AS n FROM deltas),
      (SELECT min(u) AS min_u, max(u) AS max_u, count(DISTINCT u) AS distinct_u, count(*) AS with_u FROM ids),
      (SELECT count(*) AS gap_count, avg(gap) AS gap_mean, max(gap) AS gap_max, ${GAP_BUCKETS.map(bucket).join(", ")} FROM gaps),
      (SELECT count(*) FILTER (WHERE inverted) AS inversions FROM inv)`);
  const r = row!;
  const rows = num(r.n);
  const min = numOrNull(r.min_u),
    max = numOrNull(r.max_u);
  const distinct = num(r.distinct_u);
  const expected = min === null || max === null ? 0 : max - min + 1;
  return {
    present: true,
    file,
    rows,
    minUpdateId: min,
    maxUpdateId: max,
    distinctUpdateIds: distinct,
    expectedUpdateIds: expected,
    missingUpdateIds: expected - distinct,
    completeness: expected > 0 ? distinct / expected : null,
    duplicateRows: num(r.with_u) - distinct,
    gaps: {
      count: num(r.gap_count),
      mean: numOrNull(r.gap_mean),
      max: numOrNull(r.gap_max),
      buckets: GAP_BUCKETS.map((b) => ({...b, count: num(r[`b_${b.min}`])}))
    },
    originOrderInversions: num(r.inversions),
    originOrderInversionShare: share(num(r.inversions), rows)
  };
}

async function assessSnapshots(duck: Duck, file: string | undefined): Promise<SnapshotAssessment> {
  if (!file) return {present: false, count: 0, medianIntervalMs: null, crossed: 0, crossedShare: 0, levels: 0};
  const levels = await bookLevels({duck});
  const [row] = await duck.all(`WITH i AS (
        SELECT (epoch_ns(origin_time) - lag(epoch_ns(origin_time)) OVER (ORDER BY origin_time, sequence_number, file_row_number)) / 1e6 AS dt
        FROM book WHERE origin_time IS NOT NULL
      )
    SELECT count(*) AS n, count(*) FILTER (WHERE bid_0_price >= ask_0_price) AS crossed, (SELECT median(dt) FROM i) AS median_ms FROM book`);
  const count = num(row!.n);
  return {
    present: true,
    count,
    medianIntervalMs: numOrNull(row!.median_ms),
    crossed: num(row!.crossed),
    crossedShare: share(num(row!.crossed), count),
    levels
  };
}

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;
const int = (x: number) => Math.round(x).toLocaleString("en-US");

function recommend(tables: TableAssessment[], deltas: DeltaAssessment, snapshots: SnapshotAssessment): Recommendation {
  const warnings: string[] = [];
  let strategy: Strategy;
  let reason: string;
  const book = tables.find((t) => t.table === "book");
  const seconds = Math.max(0, ...tables.map((t) => t.coveredSeconds));
  const snapshotsLine = snapshots.count
    ? `${int(snapshots.count)} snapshots${snapshots.medianIntervalMs !== null ? ` (one every ~${formatMs(snapshots.medianIntervalMs)})` : ""}`
    : "";
  if (!deltas.present) {
    strategy = "snapshot_anchored";
    reason =
      "the delta table (book_delta_v2, --deltas) is missing: without deltas the book is only known at snapshots, so the replay anchors on each snapshot and lets trades take liquidity between them.";
  } else if (deltas.completeness === null || deltas.completeness < MIN_DELTA_COMPLETENESS) {
    strategy = "snapshot_anchored";
    reason =
      deltas.completeness === null
        ? "the delta table has no update ids, so no delta can be placed in sequence; the replay anchors on snapshots instead."
        : `the delta table is only ${pct(deltas.completeness)} complete (${int(deltas.missingUpdateIds)} of ${int(deltas.expectedUpdateIds)} update ids missing, in ${int(deltas.gaps.count)} gaps; below ${pct(MIN_DELTA_COMPLETENESS, 0)} a delta replay would be gapped most of the time), so the replay anchors on snapshots.`;
  } else if (deltas.completeness >= GOOD_DELTA_COMPLETENESS && snapshots.count > 0) {
    strategy = "full_event_replay";
    const missing = deltas.missingUpdateIds
      ? `${int(deltas.missingUpdateIds)} update ids missing in ${int(deltas.gaps.count)} gaps`
      : "no update id missing";
    reason = `the delta table is ${pct(deltas.completeness)} complete (${missing}) and ${snapshotsLine} repair any gap at the next snapshot; deltas are applied in update-id order, so origin_time jitter does not matter.`;
  } else {
    strategy = "full_event_replay";
    if (!snapshots.count) {
      reason = `the delta table is ${pct(deltas.completeness)} complete, but the book has no snapshots to initialise the book or repair gaps.`;
      warnings.push(
        "no snapshots: every strategy starts from the first snapshot, so nothing can be replayed until the book input has rows"
      );
    } else {
      reason = `the delta table is ${pct(deltas.completeness)} complete (${int(deltas.missingUpdateIds)} update ids missing in ${int(deltas.gaps.count)} gaps); ${snapshotsLine} repair each gap, but gaps will be frequent.`;
      const every = deltas.gaps.count ? seconds / deltas.gaps.count : 0;
      warnings.push(
        `gaps will be frequent: ${int(deltas.gaps.count)} gaps${every ? ` (one every ~${every < 1 ? `${(every * 1000).toFixed(0)} ms` : `${every.toFixed(1)} s`})` : ""}; the book is marked gapped from each gap until the next snapshot`
      );
    }
  }
  // origin_time_sort depends on origin_time order; say why it is ruled out when it is.
  const disorder = tables.filter((t) => t.originTime.outOfOrderShare > MAX_OUT_OF_ORDER_SHARE);
  if (disorder.length) {
    const worst = disorder.reduce((a, b) => (b.originTime.outOfOrderShare > a.originTime.outOfOrderShare ? b : a));
    reason += ` origin_time_sort is not recommended: ${pct(worst.originTime.outOfOrderShare)} of ${worst.table} rows arrive out of origin_time order (more than ${pct(MAX_OUT_OF_ORDER_SHARE, 1)})`;
    reason += deltas.originOrderInversions
      ? `, and sorting deltas by origin_time would apply ${pct(deltas.originOrderInversionShare)} of them out of update-id sequence.`
      : ", so arrival order is not exchange order and only update ids give a sequence to trust.";
  } else if (deltas.originOrderInversions) {
    reason += ` origin_time_sort is not recommended: sorting deltas by origin_time would apply ${pct(deltas.originOrderInversionShare)} of them out of update-id sequence.`;
  }
  if (!book) warnings.push("no book input: every strategy needs the book (snapshots) input");
  if (snapshots.crossed)
    warnings.push(
      `${int(snapshots.crossed)} crossed snapshot(s) (${pct(snapshots.crossedShare)}): the replay flags and skips them`
    );
  for (const t of tables) {
    if (t.originTime.nonNullShare < 1)
      warnings.push(`${t.table}: ${pct(1 - t.originTime.nonNullShare)} of rows have no origin_time`);
    if (t.originTime.afterReceivedRows)
      warnings.push(
        `${t.table}: ${int(t.originTime.afterReceivedRows)} row(s) (${pct(t.originTime.afterReceivedShare)}) have an origin_time after their received_time (clock skew or bad timestamps)`
      );
  }
  if (deltas.duplicateRows) warnings.push(`deltas: ${int(deltas.duplicateRows)} row(s) repeat an update id`);
  return {strategy, reason, warnings};
}

function estimateMemory(strategy: Strategy, tables: TableAssessment[], snapshots: SnapshotAssessment): MemoryEstimate {
  const rows = (t: MarketTable) => tables.find((x) => x.table === t)?.rows ?? 0;
  const denseBookMB = (2 * BOOK_SLOTS * 8) / MB;
  const sortBytes =
    (strategy === "snapshot_anchored" ? 0 : rows("deltas") * 5 * 8) +
    rows("book") * (2 + 4 * snapshots.levels) * 8 +
    rows("trades") * 5 * 8;
  const sortDataMB = sortBytes / MB;
  const sortMemoryMB = Math.min(sortDataMB, REPLAY_MEMORY_LIMIT_MB);
  const spillsToDisk = sortDataMB > REPLAY_MEMORY_LIMIT_MB;
  const spillMB = Math.max(0, sortDataMB - REPLAY_MEMORY_LIMIT_MB);
  const notes = spillsToDisk
    ? `The sorts need ~${formatMB(sortDataMB)}, more than the ${formatMB(REPLAY_MEMORY_LIMIT_MB)} memory limit the reconstructor sets: DuckDB spills ~${formatMB(spillMB)} to disk in OUT/.replay (slower, and that much free disk is needed there; raise memoryLimit to avoid it).`
    : `Fits in memory: the sorts need ~${formatMB(sortDataMB)}, within the ${formatMB(REPLAY_MEMORY_LIMIT_MB)} memory limit the reconstructor sets (beyond it DuckDB would spill to disk).`;
  return {
    strategy,
    denseBookMB,
    outputBuffersMB: OUTPUT_BUFFERS_MB,
    sortDataMB,
    sortMemoryMB,
    memoryLimitMB: REPLAY_MEMORY_LIMIT_MB,
    totalMB: denseBookMB + OUTPUT_BUFFERS_MB + sortMemoryMB,
    spillsToDisk,
    spillMB,
    notes
  };
}

/**
 * Assesses Crypto Lake-style market data before a replay: per table the rows, time span and
 * origin_time quality (nulls, times after arrival, latency, disorder, ties); the delta table's
 * completeness and sequence gaps; the snapshots; a memory estimate; and the strategy to use.
 * The `trades`, `book` and `deltas` views must already be registered (registerInputs) for the
 * inputs given. All the counting is done by DuckDB.
 */
export async function assessMarketData({duck, inputs}: {duck: Duck; inputs: MarketInputs}): Promise<Assessment> {
  const tables: TableAssessment[] = [];
  for (const table of TABLES) {
    const file = inputs[table];
    if (file) tables.push(await assessTable(duck, table, file));
  }
  const deltas = await assessDeltas(duck, inputs.deltas);
  const snapshots = await assessSnapshots(duck, inputs.book);
  const recommendation = recommend(tables, deltas, snapshots);
  const memory = estimateMemory(recommendation.strategy, tables, snapshots);
  return {inputs: {...inputs}, tables, deltas, snapshots, memory, recommendation};
}

/** assessMarketData on files: an in-memory DuckDB of its own, closed when done. */
export async function assessFiles({
  inputs,
  columns
}: {
  inputs: MarketInputs;
  /** Column names the files use instead of the lab's (see `registerInputs`). */
  columns?: ColumnMapping;
}): Promise<Assessment> {
  const duck = await openDuckDB();
  try {
    await registerInputs({duck, inputs, mapping: columns});
    return await assessMarketData({duck, inputs});
  } finally {
    duck.close();
  }
}

function formatMs(ms: number): string {
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (Math.abs(ms) >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

function formatMB(mb: number): string {
  if (mb >= 1000) return `${(mb / 1000).toFixed(2)} GB`;
  if (mb >= 10) return `${mb.toFixed(0)} MB`;
  return `${mb.toFixed(1)} MB`;
}

function formatSeconds(s: number): string {
  if (s >= 3600) return `${(s / 3600).toFixed(2)} h`;
  if (s >= 60) return `${(s / 60).toFixed(1)} min`;
  return `${s.toFixed(1)} s`;
}

const dash = "–";
const opt = <T>(x: T | null, f: (x: T) => string) => (x === null ? dash : f(x));
/** A Markdown table; `left` columns are left-aligned, the others (numbers) right-aligned. */
const table = (head: string[], rows: string[][], left = 1) =>
  [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i < left ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`)
  ].join("\n");

/** The assessment as a short Markdown report. */
export function assessmentMarkdown(a: Assessment): string {
  const out: string[] = ["# Market data assessment", ""];
  out.push("## Recommendation", "", `**${a.recommendation.strategy}**: ${a.recommendation.reason}`, "");
  if (a.recommendation.warnings.length) out.push(...a.recommendation.warnings.map((w) => `- ⚠ ${w}`), "");
  out.push("## Tables", "");
  out.push(
    table(
      ["table", "file", "rows", "first origin_time", "last origin_time", "covered"],
      a.tables.map((t) => [
        t.table,
        `\`${t.file}\``,
        int(t.rows),
        t.firstOriginTime ?? dash,
        t.lastOriginTime ?? dash,
        formatSeconds(t.coveredSeconds)
      ]),
      2
    ),
    ""
  );
  out.push("## origin_time", "");
  out.push(
    table(
      ["table", "with origin_time", "after received", "latency p50", "p99", "max", "out of order", "tied"],
      a.tables.map((t) => {
        const o = t.originTime;
        return [
          t.table,
          pct(o.nonNullShare),
          pct(o.afterReceivedShare),
          opt(o.latencyMs.p50, formatMs),
          opt(o.latencyMs.p99, formatMs),
          opt(o.latencyMs.max, formatMs),
          `${pct(o.outOfOrderShare)} (${int(o.outOfOrderRows)})`,
          pct(o.tiedShare)
        ];
      })
    ),
    "",
    "Out of order: rows whose origin_time is before that of an earlier row in received_time order. Tied: rows sharing their exact origin_time with another row.",
    ""
  );
  out.push("## Delta completeness", "");
  const d = a.deltas;
  if (!d.present) out.push("No delta table (book_delta_v2) was given.", "");
  else {
    out.push(
      table(
        ["measure", "value"],
        [
          ["rows", int(d.rows)],
          ["update ids", `${opt(d.minUpdateId, int)} … ${opt(d.maxUpdateId, int)}`],
          ["distinct update ids", int(d.distinctUpdateIds)],
          ["expected (max − min + 1)", int(d.expectedUpdateIds)],
          ["missing", int(d.missingUpdateIds)],
          ["completeness", opt(d.completeness, (c) => pct(c, 3))],
          ["duplicate rows", int(d.duplicateRows)],
          [
            "applied out of sequence by origin_time_sort",
            `${pct(d.originOrderInversionShare)} (${int(d.originOrderInversions)})`
          ]
        ]
      ),
      ""
    );
    out.push("## Sequence gaps", "");
    out.push(
      `${int(d.gaps.count)} gap(s); mean ${opt(d.gaps.mean, (m) => m.toFixed(2))}, max ${opt(d.gaps.max, int)} missing update id(s) per gap.`,
      ""
    );
    out.push(
      table(
        ["gap size", "gaps"],
        d.gaps.buckets.map((b) => [b.label, int(b.count)])
      ),
      ""
    );
  }
  out.push("## Snapshots", "");
  const s = a.snapshots;
  if (!s.present) out.push("No book (snapshot) table was given.", "");
  else {
    out.push(
      table(
        ["measure", "value"],
        [
          ["snapshots", int(s.count)],
          ["median interval", opt(s.medianIntervalMs, formatMs)],
          ["crossed (bid_0 ≥ ask_0)", `${pct(s.crossedShare)} (${int(s.crossed)})`],
          ["levels per side", String(s.levels)]
        ]
      ),
      ""
    );
  }
  const m = a.memory;
  out.push("## Memory estimate", "", `For ${m.strategy}:`, "");
  out.push(
    table(
      ["part", "MB"],
      [
        ["dense book (2 × 131,072 float64)", m.denseBookMB.toFixed(1)],
        ["output buffers", m.outputBuffersMB.toFixed(1)],
        [
          `DuckDB sorts (data ${formatMB(m.sortDataMB)}, capped at ${formatMB(m.memoryLimitMB)})`,
          m.sortMemoryMB.toFixed(1)
        ],
        ["**total**", `**${m.totalMB.toFixed(1)}**`]
      ]
    ),
    "",
    m.notes,
    ""
  );
  return out.join("\n");
}
