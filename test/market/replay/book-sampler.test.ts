import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {Book} from "../../../src/lib/market/book.js";
import {BookSampler, MAX_GAP_SAMPLES} from "../../../src/lib/market/replay/book-sampler.js";
import {sampleColumns} from "../../../src/lib/market/replay/event-columns.js";

describe("book sampler", () => {
  test("a time stamped 70 years ahead costs one extra sample, not 22 billion", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sampler-")), "book_samples.parquet");
    const step = 100e6; // 100 ms in ns
    const columns = sampleColumns({
      base: 0n,
      tickSize: 0.01,
      lotSize: 0.0001,
      priceScale: 2,
      quantityScale: 4,
      levels: 1
    });
    const sampler = new BookSampler({path, columns, levels: 1, step, book: new Book()});
    const started = performance.now();
    sampler.upTo(1e9); // first event at 1 s: samples start there
    sampler.upTo(1.5e9); // half a second later: five more
    sampler.upTo(70 * 365 * 86_400e9); // then seventy years
    sampler.flush();
    sampler.close();
    expect(performance.now() - started).toBeLessThan(2000);
    const rows = (await readParquetAll({path, sql: "SELECT count(*)::INT AS n, max(ts_ns) AS last FROM t"})) as {
      n: number;
      last: bigint;
    }[];
    // 1.0 … 1.5 s (6 samples), one more at 1.6 s for the gap, then the sample at the far event.
    expect(rows[0]!.n).toBe(8);
    expect(rows[0]!.last).toBe(BigInt(70 * 365 * 86_400e9));
    expect(MAX_GAP_SAMPLES).toBeGreaterThan(0);
  });
});
