import {ParquetWriter, type ColumnSpec, type WriterState} from "../../parquet-writer/index.js";
import {ASK, BID, type Book} from "../book.js";

/** Rows buffered before a row group of book_samples is written. */
const SAMPLE_CAP = 4096;

/**
 * `book_samples.parquet`: the top `levels` levels of the replayed book every `step` ns of event
 * time — what the fidelity report compares with a live capture. A sample at t is the book before
 * any event at t (as a feed window ending at t shows it).
 */
/** The most samples a gap between two events is filled with (an hour at 100 ms). */
export const MAX_GAP_SAMPLES = 36_000;

export class BookSampler {
  /** The next sample's time (0 until the first event after the book is initialised). */
  nextSample: number;
  private readonly writer: ParquetWriter;
  private readonly buf: Float64Array[];
  private n = 0;
  private readonly lv: {bp: Float64Array; bq: Float64Array; ap: Float64Array; aq: Float64Array};

  constructor(
    private readonly o: {
      path: string;
      columns: ColumnSpec[];
      levels: number;
      step: number;
      book: Book;
      /** Where a resumed run's sampling stood. */
      resume?: {nextSample: number; writer?: WriterState};
    }
  ) {
    this.writer = new ParquetWriter(o.path, o.columns, o.resume?.writer);
    this.nextSample = o.resume?.nextSample ?? 0;
    this.buf = Array.from({length: 1 + 4 * o.levels}, () => new Float64Array(SAMPLE_CAP));
    this.lv = {
      bp: new Float64Array(o.levels),
      bq: new Float64Array(o.levels),
      ap: new Float64Array(o.levels),
      aq: new Float64Array(o.levels)
    };
  }

  /**
   * Samples at every step up to `t` (an event's time; the book as it stands before that event).
   * Across a silence longer than MAX_GAP_SAMPLES steps (a feed down for hours, or a time stamped
   * years off) the unchanged book is sampled once more and the samples resume at `t`: repeating it
   * would only make a file as large as the gap is long.
   */
  upTo(t: number): void {
    const step = this.o.step;
    if (this.nextSample === 0) this.nextSample = Math.ceil(t / step) * step;
    if (t - this.nextSample > MAX_GAP_SAMPLES * step) {
      this.sample(this.nextSample);
      this.nextSample = Math.ceil(t / step) * step;
    }
    while (t >= this.nextSample) (this.sample(this.nextSample), (this.nextSample += step));
  }

  /** The book as it stood at `t`; columns bid price, size … ask price, size per level. */
  private sample(t: number): void {
    const {book, levels} = this.o,
      {lv, buf} = this,
      i = this.n;
    const nb = book.top(BID, levels, lv.bp, lv.bq),
      na = book.top(ASK, levels, lv.ap, lv.aq);
    buf[0]![i] = t;
    for (let l = 0; l < levels; l++) {
      buf[1 + 2 * l]![i] = l < nb ? lv.bp[l]! : NaN;
      buf[2 + 2 * l]![i] = l < nb ? lv.bq[l]! : NaN;
      buf[1 + 2 * levels + 2 * l]![i] = l < na ? lv.ap[l]! : NaN;
      buf[2 + 2 * levels + 2 * l]![i] = l < na ? lv.aq[l]! : NaN;
    }
    if (++this.n === SAMPLE_CAP) this.flush();
  }

  /** Writes the buffered samples as a row group (at a segment's end, so its checkpoint covers them). */
  flush(): void {
    if (this.n) this.writer.writeRowGroup(this.buf, 0, this.n);
    this.n = 0;
  }

  /** The writer's state, for a checkpoint (after `flush`). */
  state(): WriterState {
    return this.writer.state();
  }

  close(): void {
    this.writer.close();
  }
}
