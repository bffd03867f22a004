import {ASK, BID, type Book, type Side} from "../book.js";
import type {MarketConfig} from "../config.js";
import type {MarketSink} from "./simulator.js";

/** Ticks or lots as the exchange writes them: a decimal string with a fixed number of places. */
export function decimalString(units: number, scale: number): string {
  return (units / 10 ** scale).toFixed(scale);
}

/** Binance's symbol spelling: "BTC-USDT" → "BTCUSDT". */
export const binanceSymbol = (symbol: string) => symbol.replace(/[^A-Za-z0-9]/g, "").toUpperCase();

/** A REST depth snapshot as `/api/v3/depth` returns it. */
export interface DepthSnapshot {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}

/**
 * The exchange's side of the simulated market, in the Binance spot format: a MarketSink that
 * turns book changes into `<sym>@depth@100ms` diff messages (`depthUpdate`: the first and last
 * update id of each 100 ms window, U and u, and every changed level's final size) and trades
 * into `<sym>@trade` messages, handed to `emit` in event-time order; and REST depth snapshots of
 * the live book on demand.
 */
export class BinanceStreamer {
  readonly symbol: string;
  readonly streams: {depth: string; trade: string};
  private windowEnd = 100e6;
  private first = -1;
  private last = -1;
  private readonly bids = new Map<number, number>();
  private readonly asks = new Map<number, number>();
  /** The simulator's book (a live reference, set at its first snapshot). */
  book: Book | undefined;
  lastUpdateId = 0;
  readonly sink: MarketSink;

  constructor(
    private readonly o: {
      config: MarketConfig;
      startMs: number;
      emit: (stream: string, data: object, tNs: number) => void;
    }
  ) {
    this.symbol = binanceSymbol(o.config.symbol);
    const lower = this.symbol.toLowerCase();
    this.streams = {depth: `${lower}@depth@100ms`, trade: `${lower}@trade`};
    const price = (t: number) => decimalString(t, o.config.priceScale);
    const qty = (l: number) => decimalString(l, o.config.quantityScale);
    this.sink = {
      change: (t, u, side, tick, lots) => {
        this.advance(t);
        if (this.first < 0) this.first = u;
        this.last = u;
        this.lastUpdateId = u;
        (side === BID ? this.bids : this.asks).set(tick, lots);
      },
      trade: (t, id, takerSide, tick, lots) => {
        this.advance(t);
        const T = o.startMs + Math.floor(t / 1e6);
        // m: is the buyer the maker? When the taker sells, yes.
        o.emit(
          this.streams.trade,
          {e: "trade", E: T, s: this.symbol, t: id, p: price(tick), q: qty(lots), T, m: takerSide === ASK},
          t
        );
      },
      snapshot: (_t, _seq, book) => {
        this.book = book;
      }
    };
  }

  /** Emits every 100 ms window that ended before `t` (the clock moving on closes them). */
  advance(t: number): void {
    while (t >= this.windowEnd) {
      this.flushWindow();
      this.windowEnd += 100e6;
    }
  }

  private flushWindow(): void {
    if (this.first >= 0) {
      const price = (t: number) => decimalString(t, this.o.config.priceScale);
      const qty = (l: number) => decimalString(l, this.o.config.quantityScale);
      const E = this.o.startMs + this.windowEnd / 1e6;
      const b = [...this.bids].sort((x, y) => y[0] - x[0]).map(([p, q]) => [price(p), qty(q)]);
      const a = [...this.asks].sort((x, y) => x[0] - y[0]).map(([p, q]) => [price(p), qty(q)]);
      this.o.emit(
        this.streams.depth,
        {e: "depthUpdate", E, s: this.symbol, U: this.first, u: this.last, b, a},
        this.windowEnd
      );
    }
    this.bids.clear();
    this.asks.clear();
    this.first = this.last = -1;
  }

  /** Closes the current window (end of a run). */
  finish(): void {
    this.flushWindow();
  }

  /** The live book's top `limit` levels with the last update id in it. */
  depth(limit: number): DepthSnapshot {
    const p = new Float64Array(limit),
      q = new Float64Array(limit);
    const side = (s: Side) => {
      const n = this.book ? this.book.top(s, limit, p, q) : 0;
      return Array.from(
        {length: n},
        (_, i) =>
          [decimalString(p[i]!, this.o.config.priceScale), decimalString(q[i]!, this.o.config.quantityScale)] as [
            string,
            string
          ]
      );
    };
    return {lastUpdateId: this.lastUpdateId, bids: side(BID), asks: side(ASK)};
  }
}
