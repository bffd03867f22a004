/**
 * The docs a user reads stay true to the code: every table a pipeline declares is described in
 * docs/architecture.md, and every relative link in README.md and docs/ leads to a file in the repo.
 */
import {existsSync, readdirSync, readFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {describe, expect, test} from "vitest";
import {declaredTables} from "../src/lib/registry.js";

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
