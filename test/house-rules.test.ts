/**
 * The house rules that keep the code readable, checked over the source tree: file and function
 * sizes, the layers' import direction, and no import cycles. A rule broken on purpose says so in
 * the code (a function over the limit starts with a one-line `// Over 150 lines: why` comment).
 */
import {readdirSync, readFileSync} from "node:fs";
import {dirname, join, relative, resolve} from "node:path";
import ts from "typescript";
import {describe, expect, test} from "vitest";

const root = join(import.meta.dirname, "..");
const MAX_FILE_LINES = 600;
const MAX_FUNCTION_LINES = 150;
const SOURCE = /\.(ts|mts|mjs)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), {withFileTypes: true, recursive: true})
    .filter((e) => e.isFile() && SOURCE.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

const files = ["src/lib", "src/data", "cli", "bench", "tools", "plugins"].flatMap(sourceFiles);
const parse = (file: string) =>
  ts.createSourceFile(file, readFileSync(join(root, file), "utf-8"), ts.ScriptTarget.Latest, true);

/** Functions longer than the limit whose head (the line above, or their first line) gives no reason. */
function longFunctions(file: string): string[] {
  const source = parse(file);
  const lines = source.text.split("\n");
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const head = [lines[start - 1] ?? "", lines[start + 1] ?? ""];
      if (end - start + 1 > MAX_FUNCTION_LINES && !head.some((l) => /\/\/ Over 150 lines: \S/.test(l))) {
        const name = node.name && ts.isIdentifier(node.name) ? node.name.text : "(anonymous)";
        found.push(`${file}:${start + 1} ${name}: ${end - start + 1} lines`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Relative imports (static and dynamic with a literal) of a file, as paths from the root. */
function importsOf(file: string): string[] {
  const source = parse(file);
  const found: string[] = [];
  const add = (spec: string) => {
    if (!spec.startsWith(".")) return;
    found.push(relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, ".ts"));
  };
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier)
      add((node.moduleSpecifier as ts.StringLiteral).text);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) add(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

// The ground floor: these folders of src/lib never import a domain (or the registry that lists them).
const LOWER = ["src/lib/core/", "src/lib/stats/", "src/lib/client/", "src/lib/catalog/", "src/lib/parquet-writer/"];

describe("house rules", () => {
  test(`no source file over ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .map((f) => ({f, lines: readFileSync(join(root, f), "utf-8").split("\n").length}))
      .filter((x) => x.lines > MAX_FILE_LINES)
      .map((x) => `${x.f}: ${x.lines} lines`);
    expect(long).toEqual([]);
  });

  test(`no function over ${MAX_FUNCTION_LINES} lines without a reason at its head`, () => {
    expect(files.flatMap(longFunctions)).toEqual([]);
  });

  test("core, stats, client, catalog and the Parquet writer import no domain", () => {
    const upward = files
      .filter((f) => LOWER.some((l) => f.startsWith(l)))
      .flatMap((f) =>
        importsOf(f)
          .filter((target) => target.startsWith("src/lib/") && !LOWER.some((l) => target.startsWith(l)))
          .map((target) => `${f} → ${target}`)
      );
    expect(upward).toEqual([]);
  });

  test("no import cycles in src/lib", () => {
    const lib = files.filter((f) => f.startsWith("src/lib/"));
    const graph = new Map(lib.map((f) => [f, importsOf(f).filter((t) => t.startsWith("src/lib/"))]));
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, "open");
      stack.push(f);
      for (const next of graph.get(f) ?? []) {
        if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next].join(" → "));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(f, "done");
    };
    for (const f of lib) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
