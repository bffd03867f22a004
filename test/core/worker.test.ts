import {mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {pathToFileURL} from "node:url";
import {Worker} from "node:worker_threads";
import {describe, expect, test} from "vitest";
import {bundledWorker, startWorker} from "../../src/lib/core/worker.js";

const answer = (start: URL | Worker) =>
  new Promise<unknown>((resolve, reject) => {
    const w = start instanceof Worker ? start : new Worker(start);
    w.once("message", (m) => void w.terminate().then(() => resolve(m)));
    w.once("error", reject);
  });

/** A TypeScript module that answers with what it was started with, and whether it runs bundled. */
function echoModule(root: string): URL {
  writeFileSync(join(root, "package.json"), `{"type": "module"}`);
  writeFileSync(
    join(root, "echo.ts"),
    `import {parentPort, workerData} from "node:worker_threads";\nconst typed: string = import.meta.url;\nparentPort!.postMessage({workerData, argv: process.argv.slice(2), url: typed});\n`
  );
  return pathToFileURL(join(root, "echo.ts"));
}

describe("startWorker", () => {
  test("a TypeScript module runs through tsx, given its workerData and argv as they are", async () => {
    const module = echoModule(mkdtempSync(join(tmpdir(), "start-worker-")));
    const reply = await answer(startWorker({module, workerData: {x: [1, 2]}, options: {argv: ["--flag"]}}));
    expect(reply).toEqual({workerData: {x: [1, 2]}, argv: ["--flag"], url: module.href});
  });

  test("bundled, the same module runs as a cached JavaScript file, with the same workerData", async () => {
    const root = mkdtempSync(join(tmpdir(), "start-worker-"));
    const module = echoModule(root);
    const reply = (await answer(startWorker({module, workerData: 7, bundle: true}))) as {
      workerData: unknown;
      url: string;
    };
    expect(reply.workerData).toBe(7);
    expect(reply.url).toBe(bundledWorker(module).href);
    expect(reply.url.startsWith(pathToFileURL(join(root, "node_modules", ".cache", "pipeline-lab")).href)).toBe(true);
  });

  test("a module that cannot be bundled runs through tsx instead", async () => {
    const root = mkdtempSync(join(tmpdir(), "start-worker-"));
    const module = echoModule(root);
    // A file where the cache folder should be: the bundle cannot be written.
    mkdirSync(join(root, "node_modules"));
    writeFileSync(join(root, "node_modules", ".cache"), "");
    expect(() => bundledWorker(module)).toThrow();
    const reply = (await answer(startWorker({module, workerData: "w", bundle: true}))) as {
      workerData: unknown;
      url: string;
    };
    expect(reply).toMatchObject({workerData: "w", url: module.href});
  });

  test("a JavaScript module runs as it is", async () => {
    const root = mkdtempSync(join(tmpdir(), "start-worker-"));
    writeFileSync(
      join(root, "echo.mjs"),
      `import {parentPort, workerData} from "node:worker_threads";\nparentPort.postMessage({workerData, argv: process.argv.slice(2)});\n`
    );
    expect(await answer(startWorker({module: pathToFileURL(join(root, "echo.mjs")), workerData: {y: 1}}))).toEqual({
      workerData: {y: 1},
      argv: []
    });
  });
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
        const w = startWorker({
          module: new URL("./fixtures/bundle-in-thread.ts", import.meta.url),
          workerData: {entry}
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
