/**
 * The `<local_ns> <json>` lines public Binance spot recordings are shared in (combined-stream
 * messages and REST snapshot lines), with prices and sizes written as Binance writes them: 8
 * decimals ("61837.63000000").
 */

/** A price in integer cents as Binance writes it: 8 decimals. */
export function binancePrice(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}000000`;
}

/** A quantity in integer 1e-8 units as Binance writes it: 8 decimals. */
export function binanceQuantity(units: number): string {
  return `${Math.floor(units / 1e8)}.${String(units % 1e8).padStart(8, "0")}`;
}

/** One recording line: the local receive time (ns) and the message. */
export function recordingLine(localNs: bigint, message: object): string {
  return `${localNs} ${JSON.stringify(message)}`;
}
