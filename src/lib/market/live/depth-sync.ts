import {ASK, BID, Book} from "../book.js";
import {DecimalScale} from "../decimal-units.js";

/** A depth diff as Binance streams it (`depthUpdate`): first and last update id, levels as strings. */
export interface DepthDiff {
  U: number;
  u: number;
  b: [string, string][];
  a: [string, string][];
}

/** A REST depth snapshot as Binance serves it. */
export interface DepthSnapshotText {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}

/** Diffs kept while waiting for a snapshot, at most (the oldest half goes beyond). */
const MAX_BUFFERED = 100_000;

/**
 * Binance's rules for a local order book, fed the stream's diffs and the REST snapshots in the
 * order they were received — as a capture file holds them, where a snapshot comes after the diffs
 * buffered while it was fetched: buffer diffs until a snapshot; a snapshot older than the first
 * buffered diff is passed over (the capture fetched another); then drop diffs with
 * u ≤ lastUpdateId, the first kept one must straddle lastUpdateId + 1, and each next U must be
 * the previous u + 1 — otherwise a gap: buffer again and wait for the next snapshot. A synced
 * book needs no snapshot, so snapshots that come while synced change nothing. Prices and sizes
 * are kept in the fewest decimals the data uses (`DecimalScale`).
 */
export class DepthSync {
  readonly book = new Book();
  readonly scale = new DecimalScale();
  lastU = -1;
  synced = false;
  /** Gaps in the update ids (and gaps the capture recorded) met while synced. */
  gaps = 0;
  /** Diffs applied to the book. */
  applied = 0;
  /** Snapshots that started (or restarted) the book. */
  syncs = 0;
  private buffer: {diff: DepthDiff; tNs: number}[] = [];

  /** Diffs waiting for a snapshot. */
  get buffered(): number {
    return this.buffer.length;
  }

  constructor(
    private readonly hooks: {
      /** Before a diff (received at tNs) changes the book. */
      before?: (tNs: number) => void;
      /** After it did. */
      after?: (tNs: number, diff: DepthDiff) => void;
      /**
       * After a snapshot started the book, before the diffs buffered behind it are applied; `tNs`
       * is the time of the last buffered diff it already holds (else the first buffered, else NaN).
       */
      synced?: (snap: DepthSnapshotText, tNs: number) => void;
    } = {}
  ) {}

  snapshot(snap: DepthSnapshotText): void {
    if (this.synced) return;
    const first = this.buffer[0];
    if (first && snap.lastUpdateId < first.diff.U) return;
    this.book.clear();
    this.scale.observe(snap.bids, this.book);
    this.scale.observe(snap.asks, this.book);
    this.scale.apply(this.book, BID, snap.bids);
    this.scale.apply(this.book, ASK, snap.asks);
    this.lastU = snap.lastUpdateId;
    this.synced = true;
    this.syncs++;
    const pending = this.buffer;
    if (this.hooks.synced) {
      const held = pending.filter((p) => p.diff.u <= snap.lastUpdateId).at(-1) ?? pending[0];
      this.hooks.synced(snap, held ? held.tNs : NaN);
    }
    this.buffer = [];
    for (const {diff, tNs} of pending) this.diff(diff, tNs);
  }

  diff(diff: DepthDiff, tNs: number): void {
    if (!this.synced) {
      this.buffer.push({diff, tNs});
      if (this.buffer.length > MAX_BUFFERED) this.buffer = this.buffer.slice(-MAX_BUFFERED / 2);
      return;
    }
    if (diff.u <= this.lastU) return;
    if (diff.U > this.lastU + 1) {
      this.gaps++;
      this.synced = false;
      this.buffer = [{diff, tNs}];
      return;
    }
    this.hooks.before?.(tNs);
    this.scale.observe(diff.b, this.book);
    this.scale.observe(diff.a, this.book);
    this.scale.apply(this.book, BID, diff.b);
    this.scale.apply(this.book, ASK, diff.a);
    this.lastU = diff.u;
    this.applied++;
    this.hooks.after?.(tNs, diff);
  }

  /** A gap the recorder saw (a `gap` record): wait for the next snapshot. */
  gap(): void {
    if (!this.synced) return;
    this.gaps++;
    this.synced = false;
    this.buffer = [];
  }

  /** The book's best `limit` levels a side as Binance's strings (8 decimals). */
  depth(limit: number): DepthSnapshotText {
    const side = (s: 0 | 1) => {
      const p = new Float64Array(limit),
        q = new Float64Array(limit);
      const n = this.book.top(s, limit, p, q);
      return Array.from({length: n}, (_, i): [string, string] => [
        formatUnits(p[i]!, this.scale.price),
        formatUnits(q[i]!, this.scale.qty)
      ]);
    };
    return {lastUpdateId: this.lastU, bids: side(BID), asks: side(ASK)};
  }
}

/** Integer units at `decimals` as a decimal string with `width` decimals: 6183763 at 2 → "61837.63000000". */
export function formatUnits(units: number, decimals: number, width = 8): string {
  const digits = String(units).padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals),
    frac = digits.slice(digits.length - decimals);
  return `${whole}.${frac.padEnd(width, "0")}`;
}
