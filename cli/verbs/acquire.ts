import {resolve} from "node:path";
import {MARKET_TABLES, acquireMarketData, acquireMarkdown} from "../../src/lib/market/history/acquire.js";
import {parseColumnMapping} from "../../src/lib/market/history/inputs.js";
import {flag, numberFlag, stringFlag, UsageError, type Verb} from "../verb.js";

const isHttp = (text: string) => /^https?:\/\//i.test(text);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const acquireVerb: Verb = {
  name: "acquire",
  summary: "bring Crypto Lake-layout market files into the inbox, checked a day at a time",
  help: `usage: lab acquire market --from DIR|URL --inbox DIR [--exchange E] [--symbol S]
                        [--from-date YYYY-MM-DD] [--to-date YYYY-MM-DD] [--min-coverage 0.98]
                        [--tables trades,book,book_delta_v2] [--columns MAP]

Copies Crypto Lake-layout files, <table>/exchange=<E>/symbol=<S>/dt=<YYYY-MM-DD>/<name>.parquet
(table: trades, book, book_delta_v2; a day may be split over several files), from a folder or an
HTTP(S) base URL into the inbox, keeping the layout. The source's manifest.json,
{"files": [{"path": "trades/exchange=…/…/1.parquet", "rows": N, "sha256": "…"}]}, lists the
files; a folder without one is listed by walking it, an HTTP source must have one (HTTP has no
directory listing).

Each (table, exchange, symbol, day) is checked as a whole on temporary copies inside the inbox:
the table's required columns, rows (> 0, and as the manifest says), SHA-256 (as the manifest
says), every origin_time inside the day (UTC), and first→last origin_time spanning at least
--min-coverage of 24 h (an incomplete day fails here). An accepted day is renamed into place; a
refused day leaves nothing behind. Files already in the inbox with the same SHA-256 are skipped
and reported as present. A day that has one table but not another is accepted with a warning.
Prints a Markdown summary; the exit code is 0 when every selected day was accepted, 1 when any was
refused (accepted days are kept) or when nothing matched the selection.

options:
  --from DIR|URL        the source folder or base URL (http://host:port/path/) (required)
  --inbox DIR           where accepted days land (created if missing) (required)
  --exchange E          only this exchange (e.g. BINANCE)
  --symbol S            only this symbol (e.g. BTC-USDT)
  --from-date DAY       only days on or after DAY (YYYY-MM-DD)
  --to-date DAY         only days on or before DAY (YYYY-MM-DD)
  --tables LIST         comma-separated subset of ${MARKET_TABLES.join(", ")} (default: all)
  --min-coverage X      share of the day first→last origin_time must span (default 0.98)
  --columns MAP         column names the files use for the lab's, e.g. deltas.update_id=seq,trades.quantity=qty
                        (the downloader's raw names — timestamp, receipt_timestamp, id, amount,
                        sequence_number, side_is_bid, size — are known without it)

example: npm run lab -- acquire market --from /mnt/lake --inbox datasets/inbox/market --exchange BINANCE --symbol BTC-USDT --from-date 2024-03-01 --to-date 2024-03-07`,
  flags: [
    ...["from", "inbox", "exchange", "symbol", "from-date", "to-date", "tables", "columns"].map(flag.string),
    flag.range("min-coverage", 0, 1)
  ],
  async run(args) {
    const [what, ...extra] = args.positionals;
    if (what !== "market")
      throw new UsageError(
        what ? `unknown kind "${what}"; only "market" can be acquired` : `say what to acquire: lab acquire market …`
      );
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const from = stringFlag(args, "from");
    const inbox = stringFlag(args, "inbox");
    if (!from) throw new UsageError("--from DIR|URL is required");
    if (!inbox) throw new UsageError("--inbox DIR is required");
    const fromDate = stringFlag(args, "from-date");
    const toDate = stringFlag(args, "to-date");
    for (const [flag, value] of [
      ["from-date", fromDate],
      ["to-date", toDate]
    ] as const)
      if (value !== undefined && !DATE.test(value))
        throw new UsageError(`--${flag} must be a date YYYY-MM-DD, got "${value}"`);
    const minDayCoverage = numberFlag(args, "min-coverage", 0.98)!;
    if (!(minDayCoverage >= 0 && minDayCoverage <= 1))
      throw new UsageError(`--min-coverage must be between 0 and 1, got ${minDayCoverage}`);
    const tablesText = stringFlag(args, "tables");
    const columnsText = stringFlag(args, "columns");
    const tables = tablesText
      ?.split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const unknown = tables?.filter((t) => !(MARKET_TABLES as readonly string[]).includes(t)) ?? [];
    if (unknown.length)
      throw new UsageError(
        `--tables: unknown table(s) ${unknown.join(", ")}; one or more of ${MARKET_TABLES.join(", ")}`
      );
    const report = await acquireMarketData({
      from: isHttp(from) ? from : resolve(from),
      inbox: resolve(inbox),
      columns: columnsText === undefined ? undefined : parseColumnMapping(columnsText),
      exchange: stringFlag(args, "exchange"),
      symbol: stringFlag(args, "symbol"),
      fromDate,
      toDate,
      tables,
      minDayCoverage,
      log: (line) => console.log(line)
    });
    console.log(acquireMarkdown(report));
    return report.days.length && !report.refused ? 0 : 1;
  }
};
