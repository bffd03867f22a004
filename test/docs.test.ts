/**
 * The docs a user reads stay true to the code: every table a pipeline declares is described in
 * docs/architecture.md, every dataset.json option a pipeline reads is named in docs/<pipeline>.md,
 * and every relative link in README.md and docs/ leads to a file in the repo.
 */
import {existsSync, readdirSync, readFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {describe, expect, test} from "vitest";
import {UnknownOption} from "../src/lib/core/dataset.js";
import {declaredTables, domains} from "../src/lib/registry.js";

const root = join(import.meta.dirname, "..");
const docs = ["README.md", ...readdirSync(join(root, "docs")).map((f) => `docs/${f}`)].filter((f) => f.endsWith(".md"));

describe("docs", () => {
  test("docs/architecture.md describes every declared table", () => {
    const text = readFileSync(join(root, "docs", "architecture.md"), "utf-8");
    expect(
      declaredTables()
        .filter((t) => !text.includes(`\`${t.name}\``))
        .map((t) => t.name)
    ).toEqual([]);
  });

  test("docs/<pipeline>.md names every dataset.json option the pipeline reads", () => {
    const missing: string[] = [];
    for (const domain of domains.filter((d) => d.datasetOptions)) {
      // A key no option reads makes the parser list the keys it does read.
      let known: string[] = [];
      try {
        domain.datasetOptions!({name: "probe", options: {"probe-key": true}, optionsFile: "dataset.json"});
      } catch (error) {
        if (error instanceof UnknownOption) known = error.known;
        else throw error;
      }
      expect(known.length, `${domain.name}: its parser should refuse an unknown key`).toBeGreaterThan(0);
      const text = readFileSync(join(root, "docs", `${domain.name}.md`), "utf-8");
      missing.push(...known.filter((key) => !text.includes(`\`${key}\``)).map((key) => `${domain.name}: ${key}`));
    }
    expect(missing).toEqual([]);
  });

  test("every relative link in README.md and docs/ resolves inside the repo", () => {
    const broken: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(join(root, doc), "utf-8");
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const path = resolve(root, dirname(doc), target!);
        if (!path.startsWith(root + "/") || !existsSync(path)) broken.push(`${doc} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
