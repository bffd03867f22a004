import {mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join} from "node:path";
import {beforeEach, describe, expect, test} from "vitest";
import {findLoaders, findStaleLoaders, refreshLoaderCache} from "../../tools/loader-cache.js";
import {noteLoaderInput} from "../../src/lib/core/loader-inputs.js";

let dir: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), {recursive: true});
  writeFileSync(join(dir, path), text);
}

/** Pretends Framework ran every loader: writes each cached output. */
function runAll(): void {
  for (const loader of findLoaders({projectDir: dir})) write(loader.cachePath, "output");
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "loader-cache-"));
  write("src/lib/shared.ts", "export const shared = 1;\n");
  write("src/lib/a.ts", 'import {shared} from "./shared.js";\nexport const a = shared + 1;\n');
  write("src/lib/b.ts", "export const b = 2;\n");
  write("src/data/a.json.ts", 'import {a} from "../lib/a.js";\nconsole.log(a);\n');
  write("src/data/b.parquet.ts", 'import {b} from "../lib/b.js";\nconsole.log(b);\n');
  write("src/data/helper.ts", "export const notALoader = true;\n");
  write("datasets/b/input.csv", "x\n1\n");
});

describe("loader cache", () => {
  test("finds loaders and their cache paths", () => {
    expect(findLoaders({projectDir: dir})).toEqual([
      {loaderPath: "src/data/a.json.ts", cachePath: "src/.observablehq/cache/data/a.json"},
      {loaderPath: "src/data/b.parquet.ts", cachePath: "src/.observablehq/cache/data/b.parquet"}
    ]);
  });

  test("nothing is stale right after a run", async () => {
    await refreshLoaderCache({projectDir: dir});
    runAll();
    expect((await findStaleLoaders({projectDir: dir})).stale).toEqual([]);
  });

  test("a change in a transitively imported module reruns exactly the loaders that import it", async () => {
    await refreshLoaderCache({projectDir: dir});
    runAll();
    write("src/lib/shared.ts", "export const shared = 100;\n");
    const stale = await refreshLoaderCache({projectDir: dir});
    expect(stale.map((s) => [s.loaderPath, s.reason])).toEqual([["src/data/a.json.ts", "src/lib/shared.ts changed"]]);
    expect(existsSync(join(dir, "src/.observablehq/cache/data/a.json"))).toBe(false);
    expect(existsSync(join(dir, "src/.observablehq/cache/data/b.parquet"))).toBe(true);
    runAll();
    expect(await refreshLoaderCache({projectDir: dir})).toEqual([]);
  });

  test("a change in data the loader read reruns only that loader", async () => {
    await refreshLoaderCache({projectDir: dir});
    runAll();
    noteLoaderInput({projectDir: dir, loaderPath: join(dir, "src/data/b.parquet.ts"), path: "datasets/b"});
    expect(await refreshLoaderCache({projectDir: dir})).toEqual([]);
    write("datasets/b/new.csv", "x\n2\n");
    const stale = await refreshLoaderCache({projectDir: dir});
    expect(stale.map((s) => [s.loaderPath, s.reason])).toEqual([["src/data/b.parquet.ts", "input datasets/b changed"]]);
  });

  test("an output of unknown provenance is rebuilt; touch bumps the loader for the dev server", async () => {
    runAll();
    const before = statSync(join(dir, "src/data/a.json.ts")).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const stale = await refreshLoaderCache({projectDir: dir, touch: true});
    expect(stale.map((s) => s.reason)).toEqual([
      "no record of the code that made it",
      "no record of the code that made it"
    ]);
    expect(statSync(join(dir, "src/data/a.json.ts")).mtimeMs).toBeGreaterThan(before);
  });

  test("a removed input counts as a change", async () => {
    await refreshLoaderCache({projectDir: dir});
    runAll();
    noteLoaderInput({projectDir: dir, loaderPath: join(dir, "src/data/b.parquet.ts"), path: "datasets/b/input.csv"});
    rmSync(join(dir, "datasets/b/input.csv"));
    expect((await refreshLoaderCache({projectDir: dir})).map((s) => s.loaderPath)).toEqual(["src/data/b.parquet.ts"]);
  });
});

describe("loader cache and warehouse topics", () => {
  test("a loader reruns when a topic it read changes, not when another topic does", async () => {
    const {labPaths} = await import("../../src/lib/catalog/paths.js");
    const {writeManifest, topicFingerprint} = await import("../../src/lib/catalog/warehouse.js");
    const paths = labPaths({projectDir: dir, labDir: ".lab"});
    const entry = (file: string) => ({
      fingerprint: "f",
      schema: [{name: "a", type: "INTEGER"}],
      files: [{path: file, job_id: 1, file_version_id: 1, file_id: 1, rows: 1}]
    });
    writeManifest({
      paths,
      manifest: {generated_at: "", topics: {sales: entry("sales/1.parquet"), other: entry("other/1.parquet")}}
    });
    await refreshLoaderCache({projectDir: dir});
    runAll();
    noteLoaderInput({
      projectDir: dir,
      loaderPath: join(dir, "src/data/b.parquet.ts"),
      path: ".lab/warehouse/sales",
      topic: "sales",
      fingerprint: topicFingerprint({paths, topic: "sales"})
    });
    writeManifest({
      paths,
      manifest: {generated_at: "", topics: {sales: entry("sales/1.parquet"), other: entry("other/2.parquet")}}
    });
    expect(await refreshLoaderCache({projectDir: dir})).toEqual([]);
    writeManifest({
      paths,
      manifest: {generated_at: "", topics: {sales: entry("sales/2.parquet"), other: entry("other/2.parquet")}}
    });
    expect((await refreshLoaderCache({projectDir: dir})).map((s) => [s.loaderPath, s.reason])).toEqual([
      ["src/data/b.parquet.ts", "input .lab/warehouse/sales changed"]
    ]);
  });
});
