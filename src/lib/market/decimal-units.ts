import type {Book} from "./book.js";

/**
 * Decimals a decimal string actually uses: "61837.63000000" → 2, "5.00000000" → 0. Exchanges
 * pad prices to a fixed width (Binance writes 8 decimals for every spot price), so the width says
 * nothing about the tick; the decimals in use do.
 */
export function significantDecimals(text: string): number {
  const dot = text.indexOf(".");
  if (dot < 0) return 0;
  let end = text.length;
  while (end > dot + 1 && text.charCodeAt(end - 1) === 48) end--;
  return end - dot - 1;
}

/**
 * A decimal string as an integer count of 10^-decimals, read digit by digit (no float rounding):
 * "61837.63000000" at 2 decimals → 6183763. Digits beyond `decimals` must be zeros (see
 * `significantDecimals`); exact while the count stays below 2^53.
 */
export function decimalUnits(text: string, decimals: number): number {
  const dot = text.indexOf(".");
  const whole = dot < 0 ? text : text.slice(0, dot);
  let units = whole ? Number(whole) : 0;
  for (let k = 0; k < decimals; k++) {
    const c = dot < 0 ? 48 : text.charCodeAt(dot + 1 + k);
    units = units * 10 + (c >= 48 && c <= 57 ? c - 48 : 0);
  }
  return units;
}

/**
 * The integer units a Binance-format book is kept in: prices and quantities at the fewest
 * decimals the data has used so far (8-decimal strings of prices on a 0.01 tick give ticks of
 * 0.01, so the book's dense window spans 1,310 USDT instead of 0.0013). A string using more
 * decimals than seen before makes the units finer: `observe` rescales the book (rare: once or
 * twice a feed, as the first finer price or size turns up).
 */
export class DecimalScale {
  price = -1;
  qty = -1;

  /** Takes in levels' decimals; the book, when given, is moved to finer units if they grew. */
  observe(levels: readonly (readonly [string, string])[], book?: Book): void {
    let p = this.price,
      q = this.qty;
    for (const [price, qty] of levels) {
      const dp = significantDecimals(price),
        dq = significantDecimals(qty);
      if (dp > p) p = dp;
      if (dq > q) q = dq;
    }
    if (p === this.price && q === this.qty) return;
    if (book && this.price >= 0 && p > this.price) book.rescale(10 ** (p - this.price));
    if (book && this.qty >= 0 && q > this.qty) book.rescaleQuantities(10 ** (q - this.qty));
    this.price = Math.max(0, p);
    this.qty = Math.max(0, q);
  }

  /** A price string in ticks. */
  ticks(text: string): number {
    return decimalUnits(text, this.price);
  }

  /** A quantity string in lots. */
  lots(text: string): number {
    return decimalUnits(text, this.qty);
  }

  /** Levels into a book side, in these units. */
  apply(book: Book, side: 0 | 1, levels: readonly (readonly [string, string])[]): void {
    for (const [p, q] of levels) book.set(side, decimalUnits(p, this.price), decimalUnits(q, this.qty));
  }
}
