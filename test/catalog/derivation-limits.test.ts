/**
 * A derivation runs in a worker thread with a memory limit: one that exhausts its memory or
 * throws fails with a logged reason, keeps its previous outputs, and the ingest goes on.
 */
import {rmSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {ingest} from "../../src/lib/catalog/ingest.js";
import {readManifest} from "../../src/lib/catalog/warehouse.js";
import {guardedDerivation} from "./fixtures/guarded-derivation.js";
import {makeProject} from "./helpers.js";

describe("derivations in a worker with a memory limit", () => {
  test("a runaway or throwing derivation is logged and keeps its previous outputs; the ingest goes on", async () => {
    const p = makeProject({derivationMemoryMb: 64});
    const lines: string[] = [];
    const run = () =>
      ingest({
        paths: p.paths,
        config: p.config,
        builtins: {plugins: [], derivations: [guardedDerivation], routing: [], pipelines: []},
        output: {write: () => {}, isTTY: false},
        log: (line) => lines.push(line)
      });
    p.write("datasets/sales/jan.csv", "day,amount\n2024-01-01,10\n2024-01-02,12\n");
    await run();
    expect(await p.query(["sales_total"], "SELECT total FROM sales_total")).toEqual([{total: 22}]);
    const firstDir = readManifest(p.paths).derived!["sales-total@sales"]!.dir;

    p.write("datasets/sales/feb.csv", "day,amount\n2024-02-01,5000\n");
    const started = performance.now();
    const summary = await run();
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(summary.jobsCompleted).toBe(1);
    expect(lines).toContain("sales-total: allocating without bound");
    expect(lines.filter((l) => l.startsWith("derivation sales-total (dataset sales) failed"))).toEqual([
      "derivation sales-total (dataset sales) failed: ran out of memory (its limit is 64 MB; raise derivationMemoryMb in lab.config.ts if the data needs it)"
    ]);
    // The previous outputs stay published; the per-file rows of the new file are in.
    expect(await p.query(["sales_total"], "SELECT total FROM sales_total")).toEqual([{total: 22}]);
    expect(readManifest(p.paths).derived!["sales-total@sales"]!.dir).toBe(firstDir);
    expect(await p.query(["raw_sales"], "SELECT sum(amount)::INT AS s FROM raw_sales")).toEqual([{s: 5022}]);

    p.write("datasets/sales/feb.csv", "day,amount\n2024-02-01,666\n");
    lines.length = 0;
    await run();
    expect(lines.filter((l) => l.startsWith("derivation sales-total (dataset sales) failed"))).toEqual([
      "derivation sales-total (dataset sales) failed: the number of the beast is not a sale"
    ]);
    expect(await p.query(["sales_total"], "SELECT total FROM sales_total")).toEqual([{total: 22}]);

    // A restart after deleting the bad file derives only after the scan has seen it gone: never
    // over the stale view that still holds it.
    rmSync(join(p.dir, "datasets/sales/feb.csv"));
    lines.length = 0;
    await run();
    expect(lines.filter((l) => l.startsWith("derivation"))).toEqual([]);
    expect(await p.query(["raw_sales"], "SELECT sum(amount)::INT AS s FROM raw_sales")).toEqual([{s: 22}]);
    expect(await p.query(["sales_total"], "SELECT total FROM sales_total")).toEqual([{total: 22}]);

    // Still alive, and a sane input derives again.
    p.write("datasets/sales/feb.csv", "day,amount\n2024-02-01,8\n");
    await run();
    expect(await p.query(["sales_total"], "SELECT total FROM sales_total")).toEqual([{total: 30}]);
    expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
  }, 120_000);

  test("in watch mode, a derivation that failed is not rerun on the same inputs, only once they change", async () => {
    const p = makeProject({derivationMemoryMb: 64, watchRescanMs: 60_000});
    p.write("datasets/sales/jan.csv", "day,amount\n2024-01-01,10\n2024-01-02,12\n");
    p.write("datasets/sales/feb.csv", "day,amount\n2024-02-01,5000\n");
    const lines: string[] = [];
    const controller = new AbortController();
    let passes = 0;
    const done = new Promise<void>((resolve, reject) => {
      ingest({
        paths: p.paths,
        config: p.config,
        builtins: {plugins: [], derivations: [guardedDerivation], routing: [], pipelines: []},
        watch: true,
        signal: controller.signal,
        output: {write: () => {}, isTTY: false},
        log: (line) => lines.push(line),
        onPass: (s) => {
          if (!s.jobsCompleted) return;
          passes++;
          // A file the derivation does not read: the pass republishes, the derivation's inputs are unchanged.
          if (passes === 1) p.write("datasets/other.csv", "a\n1\n");
          else if (passes === 2) p.write("datasets/sales/feb.csv", "day,amount\n2024-02-01,8\n");
          else resolve();
        }
      }).catch(reject);
    });
    await done;
    controller.abort();
    expect(lines.filter((l) => l === "sales-total: allocating without bound")).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("derivation sales-total (dataset sales) failed"))).toHaveLength(1);
    expect(await p.query(["raw_other"], "SELECT count(*)::INT AS n FROM raw_other")).toEqual([{n: 1}]);
    expect(await p.query(["sales_total"], "SELECT total FROM sales_total")).toEqual([{total: 30}]);
  }, 120_000);
});
