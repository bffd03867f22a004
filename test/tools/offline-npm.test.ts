import {mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterEach, describe, expect, test} from "vitest";
import {runNode} from "../run-node.js";
import {
  OfflineRefusal,
  answer,
  indexInstalledPackages,
  installOfflineFetch,
  parseSpecifier,
  pruneNpmCache
} from "../../tools/offline-npm.js";

const projectDir = join(import.meta.dirname, "..", "..");
const index = indexInstalledPackages(projectDir);

describe("offline npm", () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  test("parses CDN specifiers", () => {
    expect(parseSpecifier("@duckdb/duckdb-wasm@1.29.0/dist/duckdb-eh.wasm")).toEqual({
      name: "@duckdb/duckdb-wasm",
      version: "1.29.0",
      path: "dist/duckdb-eh.wasm"
    });
    expect(parseSpecifier("d3@7.9.0/+esm")).toEqual({name: "d3", version: "7.9.0", path: "+esm"});
    expect(parseSpecifier("htl")).toEqual({name: "htl", version: undefined, path: ""});
  });

  test("answers registry lookups with the installed versions", async () => {
    const byTag = await (await answer("https://registry.npmjs.org/@observablehq/plot/latest", index)).json();
    expect(byTag).toEqual({name: "@observablehq/plot", version: "0.6.17"});
    const all = await (await answer("https://registry.npmjs.org/apache-arrow", index)).json();
    expect(Object.keys(all.versions)).toContain("17.0.0");
  });

  test("bundles +esm like the CDN: ES-module dependencies stay separate modules", async () => {
    const response = await answer("https://cdn.jsdelivr.net/npm/@observablehq/plot@0.6.17/+esm", index);
    expect(response.headers.get("content-type")).toBe("application/javascript");
    const code = await response.text();
    expect(code).toMatch(/from"\/npm\/d3@7\.9\.0\/\+esm"/);
    expect(code).toMatch(/export\{/);
    // d3 itself is not inlined into Plot: it is one shared module.
    expect(code).not.toMatch(/function forceSimulation/);
  });

  test("serves files such as wasm byte for byte", async () => {
    const response = await answer("https://cdn.jsdelivr.net/npm/parquet-wasm@0.6.1/esm/parquet_wasm_bg.wasm", index);
    expect(response.headers.get("content-type")).toBe("application/wasm");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(readFileSync(join(projectDir, "node_modules/parquet-wasm/esm/parquet_wasm_bg.wasm")))).toBe(
      true
    );
  });

  test("refuses what node_modules cannot answer, naming the package to add", async () => {
    await expect(answer("https://registry.npmjs.org/not-a-lab-dependency", index)).rejects.toThrow(
      /npm install --save-exact not-a-lab-dependency/
    );
    await expect(answer("https://cdn.jsdelivr.net/npm/d3@6.0.0/+esm", index)).rejects.toThrow(
      /d3@6\.0\.0 is needed but node_modules has d3@7\.9\.0/
    );
    await expect(answer("https://fonts.googleapis.com/css2?family=Inter", index)).rejects.toBeInstanceOf(
      OfflineRefusal
    );
  });

  test("the fetch shim records refusals and lets loopback through", async () => {
    const events: string[] = [];
    const refusals = installOfflineFetch({projectDir, onRequest: (e) => events.push(`${e.status} ${e.url}`)});
    await expect(fetch("https://example.invalid/")).rejects.toBeInstanceOf(OfflineRefusal);
    expect((await fetch("https://cdn.jsdelivr.net/npm/htl@0.3.1/package.json")).ok).toBe(true);
    expect(refusals.map((r) => r.url)).toEqual(["https://example.invalid/"]);
    expect(events).toEqual([
      "refused https://example.invalid/",
      "served https://cdn.jsdelivr.net/npm/htl@0.3.1/package.json"
    ]);
  });

  test("prunes cached versions that are no longer installed", () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "npm-cache-"));
    mkdirSync(join(cacheDir, "_npm", "d3@7.9.0"), {recursive: true});
    mkdirSync(join(cacheDir, "_npm", "d3@7.8.0"), {recursive: true});
    mkdirSync(join(cacheDir, "_npm", "@observablehq", "plot@0.6.1"), {recursive: true});
    expect(pruneNpmCache({cacheDir, index}).sort()).toEqual(["@observablehq/plot@0.6.1", "d3@7.8.0"]);
  });

  test("a build importing a package that is not installed fails loudly, naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "offline-build-"));
    symlinkSync(join(projectDir, "node_modules"), join(dir, "node_modules"));
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "package.json"), '{"type": "module"}');
    writeFileSync(join(dir, "observablehq.config.js"), 'export default {root: "src", globalStylesheets: []};');
    writeFileSync(
      join(dir, "src", "index.md"),
      '# T\n\n```js\nimport pad from "npm:left-pad-not-installed";\ndisplay(pad);\n```\n'
    );
    const result = await runNode(["--import", "tsx", join(projectDir, "tools", "observable.ts"), "build"], {
      cwd: dir,
      timeoutMs: 120_000,
      env: {...process.env, FORCE_COLOR: "0"}
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("offline build failed: 1 request(s)");
    expect(result.stderr).toContain("npm install --save-exact left-pad-not-installed");
  }, 120_000);
});
