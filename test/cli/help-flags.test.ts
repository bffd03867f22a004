import {readdirSync} from "node:fs";
import {join, resolve} from "node:path";
import {describe, expect, it} from "vitest";
import type {Verb} from "../../cli/verb.js";
import {domains} from "../../src/lib/registry.js";

const verbsDir = resolve(import.meta.dirname, "../../cli/verbs");
const verbs: Verb[] = [];
for (const file of readdirSync(verbsDir)
  .filter((f) => f.endsWith(".ts"))
  .sort()) {
  const module = (await import(join(verbsDir, file))) as Record<string, unknown>;
  for (const value of Object.values(module))
    if (value && typeof value === "object" && "help" in value && "run" in value) verbs.push(value as Verb);
}

/** The `--flag` names a help text mentions. */
const mentioned = (text: string) => new Set([...text.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));

describe("--help texts match the declared flags", () => {
  it("finds every verb", () => expect(verbs.length).toBeGreaterThanOrEqual(12));

  it.each(verbs.map((v) => [v.name, v] as const))("lab %s --help mentions every flag it takes", (_, verb) => {
    const flags = typeof verb.flags === "function" ? verb.flags(["demo"]) : verb.flags;
    const help = mentioned(verb.help);
    // Flags declared only to refuse a secret on the command line are named in the error instead.
    const refused = new Set(["token", "postgres", "site"]);
    expect(flags.map((f) => f.name).filter((name) => !help.has(name) && !refused.has(name))).toEqual([]);
  });

  it.each(domains.map((d) => [d.name, d] as const))("lab run %s: usage and declared flags agree", (_, domain) => {
    const usage = mentioned(domain.pipeline.usage);
    const declared = new Set(["out", "seed", "dataset", ...domain.pipeline.flags.map((f) => f.name)]);
    expect(domain.pipeline.flags.map((f) => f.name).filter((name) => !usage.has(name))).toEqual([]);
    expect([...usage].filter((name) => !declared.has(name))).toEqual([]);
  });
});
