import {mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {pathToFileURL} from "node:url";
import {Worker} from "node:worker_threads";
import {describe, expect, test} from "vitest";
import {bundledWorker} from "../../src/lib/core/bundled-worker.js";

const answer = (url: URL) =>
  new Promise<unknown>((resolve, reject) => {
    const w = new Worker(url);
    w.once("message", (m) => void w.terminate().then(() => resolve(m)));
    w.once("error", reject);
  });

describe("bundled worker", () => {
  test("a TypeScript worker and its imports run as one cached JavaScript file, rebuilt when a source changes", async () => {
    const root = mkdtempSync(join(tmpdir(), "bundled-worker-"));
    writeFileSync(join(root, "package.json"), "{}");
    mkdirSync(join(root, "src"));
    const helper = join(root, "src", "helper.ts");
    writeFileSync(helper, "export const twice = (x: number): number => 2 * x;\n");
    writeFileSync(
      join(root, "src", "worker.ts"),
      `import {parentPort} from "node:worker_threads";\nimport {twice} from "./helper.js";\nparentPort!.postMessage(twice(21));\n`
    );
    const entry = pathToFileURL(join(root, "src", "worker.ts"));
    const first = bundledWorker(entry);
    expect(first.pathname.startsWith(join(root, "node_modules", ".cache", "pipeline-lab"))).toBe(true);
    expect(readFileSync(first, "utf-8")).not.toContain(": number");
    expect(await answer(first)).toBe(42);
    // Unchanged sources: the same file, not rebuilt.
    const built = readFileSync(first, "utf-8");
    writeFileSync(first, built + "\n// cached\n");
    expect(readFileSync(bundledWorker(entry), "utf-8")).toContain("// cached");
    // A changed import: rebuilt.
    writeFileSync(helper, "export const twice = (x: number): number => 3 * x;\n");
    utimesSync(helper, new Date(), new Date(Date.now() + 5000));
    const second = bundledWorker(entry);
    expect(readFileSync(second, "utf-8")).not.toContain("// cached");
    expect(await answer(second)).toBe(63);
  });

  test("threads of one process building the same bundle at once each get a whole file", async () => {
    const root = mkdtempSync(join(tmpdir(), "bundled-worker-"));
    writeFileSync(join(root, "package.json"), "{}");
    writeFileSync(
      join(root, "w.ts"),
      `import {parentPort} from "node:worker_threads";\nparentPort!.postMessage("ok" as string);\n`
    );
    const entry = pathToFileURL(join(root, "w.ts")).href;
    const build = () =>
      new Promise<{url?: string; error?: string}>((resolve, reject) => {
        const w = new Worker(new URL("../../src/lib/catalog/worker-entry.mjs", import.meta.url), {
          workerData: {module: new URL("./fixtures/bundle-in-thread.ts", import.meta.url).href, entry}
        });
        w.once("message", (m) => void w.terminate().then(() => resolve(m)));
        w.once("error", reject);
      });
    const results = await Promise.all([build(), build(), build(), build()]);
    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(new Set(results.map((r) => r.url)).size).toBe(1);
    expect(await answer(new URL(results[0]!.url!))).toBe("ok");
  });
});
