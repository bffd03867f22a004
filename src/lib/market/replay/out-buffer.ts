// The layout of the replay's output buffers: market_events as columns, shared with the writer thread.

/** Rows an output buffer holds (a row group of market_events). */
export const CAP = 1 << 17;
// Where each column starts in an output buffer: numbers in `f`, bytes in `b`. Then, in `f`, the
// book state's runs (CAP + 1 entries each: a run may start at every row, and the starts end with
// the row count): each run's first row, and the state from there on.
export const F_T = 0,
  F_U = CAP,
  F_TRADE_TICK = 2 * CAP,
  F_TRADE_LOTS = 3 * CAP,
  F_DELTA_TICK = 4 * CAP,
  F_DELTA_LOTS = 5 * CAP,
  F_DRIFT = 6 * CAP,
  F_IMBALANCE = 7 * CAP,
  F_RECEIVED = 8 * CAP,
  F_TRADE_ID = 9 * CAP;
export const RUN = CAP + 1,
  R_START = 10 * CAP,
  R_BID = R_START + RUN,
  R_ASK = R_START + 2 * RUN,
  R_SPREAD = R_START + 3 * RUN,
  R_MID_SUM = R_START + 4 * RUN,
  R_BID5 = R_START + 5 * RUN,
  R_ASK5 = R_START + 6 * RUN;
export const F_LENGTH = R_START + 7 * RUN;
export const B_TYPE = 0,
  B_TRADE_SIDE = CAP,
  B_DELTA_SIDE = 2 * CAP,
  B_GAP = 3 * CAP,
  B_RESYNC = 4 * CAP,
  B_COLUMNS = 5;
/** Where the event type (the code column the packed columns are placed by) sits among an output buffer's `columns`. */
export const TYPE_COLUMN = 3;
/** Where the runs' starts sit among an output buffer's `columns` (after market_events' 23). */
export const RUN_STARTS = 23;
/** The array of a column whose value is the same in every row (symbol, dataset): it is not read. */
const NO_DATA = new Uint8Array(new SharedArrayBuffer(8));

/**
 * Output rows buffered as columns: every number column a stretch of one shared Float64Array,
 * every byte column of one Uint8Array, so an event's stores go through two arrays (the merge loop
 * loads each array once, not a dozen). The book state is kept as runs (`storeState` in
 * replay-loop.ts): it changes at a minority of events, so a run per change is fewer stores here
 * and far less for the writer to encode than the state at every row. `columns` views them in
 * market_events order (then the runs' starts) for the writer thread, which reads them where they
 * are.
 */
export class OutBuffer {
  readonly capacity = CAP;
  n = 0;
  /**
   * Trade and delta fields are packed: the k-th trade's at index k of the trade columns, the
   * k-th delta's at index k of the delta columns (a trade's id too), and update ids, which all but
   * trades have, at the row's index less the trades before it (the writer places them by the
   * event type). Times and receive times are a value a row.
   */
  trades = 0;
  deltas = 0;
  /** Snapshots so far: the k-th one's drift is at index k of the drift column. */
  snapshots = 0;
  /** Runs of the book state so far, and the state of the last (NaN before the first). */
  runs = 0;
  lastBid = NaN;
  lastAsk = NaN;
  lastBid5 = NaN;
  lastAsk5 = NaN;
  lastImbalance = NaN;
  readonly f = new Float64Array(new SharedArrayBuffer(8 * F_LENGTH));
  readonly b = new Uint8Array(new SharedArrayBuffer(B_COLUMNS * CAP));
  readonly columns: (Float64Array | Uint8Array)[];

  constructor() {
    const f = (at: number) => this.f.subarray(at, at + CAP),
      b = (at: number) => this.b.subarray(at, at + CAP),
      run = (at: number) => this.f.subarray(at, at + RUN);
    this.columns = [
      NO_DATA,
      f(F_T),
      f(F_RECEIVED),
      b(B_TYPE),
      f(F_U),
      f(F_TRADE_ID),
      f(F_TRADE_TICK),
      f(F_TRADE_LOTS),
      b(B_TRADE_SIDE),
      b(B_DELTA_SIDE),
      f(F_DELTA_TICK),
      f(F_DELTA_LOTS),
      run(R_BID),
      run(R_ASK),
      run(R_SPREAD),
      run(R_MID_SUM),
      run(R_BID5),
      run(R_ASK5),
      f(F_IMBALANCE),
      b(B_GAP),
      b(B_RESYNC),
      f(F_DRIFT),
      NO_DATA,
      run(R_START)
    ];
    this.reset();
  }
  /** Empty again, to be filled from row 0. */
  reset(): this {
    this.n = this.trades = this.deltas = this.snapshots = this.runs = 0;
    this.lastBid = this.lastAsk = this.lastBid5 = this.lastAsk5 = this.lastImbalance = NaN;
    // What only snapshots set starts false, a fill per buffer rather than a store per event.
    this.b.fill(0, B_RESYNC, B_RESYNC + CAP);
    return this;
  }
  /** Ends the runs at the row count (what the writer reads them up to): before handing over. */
  seal(): void {
    this.f[R_START + this.runs] = this.n;
  }
}
