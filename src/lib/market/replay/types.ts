import type {ColumnMapping} from "../history/inputs.js";
import type {Book} from "../book.js";
import type {MarketInputs} from "../history/inputs.js";
import type {BookSampler} from "./book-sampler.js";
import type {ReplayCursor} from "./cursor.js";
import type {ReorderState} from "./reorder-window.js";
import type {PartitionedState, WriterState} from "../../parquet-writer/index.js";
import type {OutBuffer} from "./out-buffer.js";

export type Strategy = "full_event_replay" | "snapshot_anchored" | "origin_time_sort";
export const STRATEGIES: Strategy[] = ["full_event_replay", "snapshot_anchored", "origin_time_sort"];

export const EVENT_TRADE = 0,
  EVENT_SNAPSHOT = 1,
  EVENT_DELTA = 2;

/** What a test hook sees after each output event (the live book, not a copy). */
export interface ReplayView {
  type: number;
  tNs: number;
  updateId: number;
  book: Book;
  gap: boolean;
  /**
   * The price range the replay knows completely: every bid at or above `bidFloor` and every ask
   * at or below `askCeiling` (ticks). A top-20 snapshot shows 20 levels; deeper ones are known
   * only once a delta touches them, so this range is where the book can be exact.
   */
  bidFloor: number;
  askCeiling: number;
}

export interface ReconstructOptions {
  inputs: MarketInputs;
  strategy: Strategy;
  outDir: string;
  /** Override the inferred increments. */
  tickSize?: number;
  lotSize?: number;
  /** Column names the inputs use instead of the lab's and the vendor's (`parseColumnMapping`). */
  columns?: ColumnMapping;
  /** market_events' `symbol` (and its partition folder); default UNKNOWN. */
  symbol?: string;
  /** market_events' `dataset` column; default `default`. */
  dataset?: string;
  /** Events per write-ahead segment (a DONE marker and a book checkpoint each). */
  segmentEvents?: number;
  /** Continue from the last complete segment of a previous (killed) run in outDir. */
  resume?: boolean;
  /** Scratch DuckDB memory (it spills beyond): the sorts of larger-than-memory inputs. */
  memoryLimit?: string;
  /**
   * How inputs are brought into replay order. `window` (the default): read in file order and
   * sorted on the fly within `reorderWindowRows` rows — one pass, bounded memory — falling back
   * to `sort` by itself when an input is further out of order than that. `sort`: DuckDB sorts
   * each input first (spilling to disk beyond `memoryLimit`). Both give the same rows in the same
   * order.
   */
  reader?: "window" | "sort";
  /** How far (rows) an input row may lie from its sorted place for the window reader (default 4,096). */
  reorderWindowRows?: number;
  log?: (line: string) => void;
  onEvent?: (view: ReplayView) => void;
  /** Tests: stop (as if killed) after this many segments are written. */
  stopAfterSegments?: number;
  /**
   * Also write `book_samples.parquet`: the top `sampleLevels` levels every `sampleEveryMs` of
   * event time (0: none) — what the fidelity report compares with a live capture.
   */
  sampleEveryMs?: number;
  sampleLevels?: number;
}

export interface ReconstructResult {
  /** market_events' files: a glob over `<outDir>/market_events/symbol=<S>/day=<D>/part-0.parquet`. */
  path: string;
  /** book_samples.parquet, when sampling was asked for. */
  samplesPath?: string;
  events: number;
  segments: number;
  counts: ReplayCounts;
  tickSize: number;
  lotSize: number;
  seconds: number;
}

export interface ReplayCounts {
  trades: number;
  snapshots: number;
  deltas: number;
  /** Delta rows before the first snapshot (already in it), not output. */
  preInit: number;
  gaps: number;
  /** Update ids skipped in all: the sum of gap sizes. */
  missingUpdates: number;
  resyncs: number;
  crossedEvents: number;
  crossedSnapshots: number;
  /** Deltas applied after a higher update id (origin_time order disagreeing with the sequence): flagged as gaps. */
  outOfOrder: number;
  /** Drift statistics over snapshots (lots, RMS per level). */
  driftSum: number;
  driftMax: number;
  driftSnapshots: number;
}

/** Counts at the start of a replay. */
export function emptyCounts(): ReplayCounts {
  return {
    trades: 0,
    snapshots: 0,
    deltas: 0,
    preInit: 0,
    gaps: 0,
    missingUpdates: 0,
    resyncs: 0,
    crossedEvents: 0,
    crossedSnapshots: 0,
    outOfOrder: 0,
    driftSum: 0,
    driftMax: 0,
    driftSnapshots: 0
  };
}

/** What the replay loop (replay-loop.ts) is built from. */
export interface ReplayLoopOptions {
  strategy: Strategy;
  /** The book, as a checkpoint left it (or empty). */
  book: Book;
  counts: ReplayCounts;
  deltas?: ReplayCursor;
  snapshots: ReplayCursor;
  trades: ReplayCursor;
  /** Levels per side in a snapshot row. */
  levels: number;
  lotSize: number;
  segmentEvents: number;
  /** The first output buffer (the caller swaps in the next after each hand-over: `out`). */
  out: OutBuffer;
  /** Sampling of the book every `sampleStep` ns (0: none). */
  sampleStep: number;
  sampler?: BookSampler;
  onEvent?: (view: ReplayView) => void;
  /** Where a resumed run stood. */
  checkpoint?: Checkpoint;
}

/** The replay's state and its synchronous loop (replay-loop.ts), for the awaiting driver in reconstruct.ts. */
export interface ReplayLoop {
  /** Replays events until one needs an await; returns why (FINISHED, REFILL or FLUSH). */
  run(): number;
  /** The buffer being filled. */
  out: OutBuffer;
  readonly events: number;
  /** Events since the segment began. */
  readonly segmentEvents: number;
  startSegment(): void;
  /** The input that must take in more rows (after REFILL). */
  takeStarved(): ReplayCursor;
  /** What a checkpoint keeps of the replay's position. */
  position(): {lastUpdateId: number; initialised: boolean; gap: boolean; bidFloor: number; askCeiling: number};
}

/** What a segment's DONE marker holds: the replay as it stood when the segment's rows were on disk. */
export interface Checkpoint {
  segment: number;
  events: number;
  reader: "window" | "sort";
  consumed: {deltas: number; snapshots: number; trades: number};
  /** Window reader: where each input's window stood. */
  windows?: {deltas?: ReorderState; snapshots: ReorderState; trades: ReorderState};
  lastUpdateId: number;
  initialised: boolean;
  gap: boolean;
  bidFloor: number;
  askCeiling: number;
  nextSample: number;
  writer: PartitionedState;
  sampleWriter?: WriterState;
  bids: [number, number][];
  asks: [number, number][];
  counts: ReplayCounts;
}
