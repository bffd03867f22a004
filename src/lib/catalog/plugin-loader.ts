import {existsSync, readdirSync} from "node:fs";
import {join, relative} from "node:path";
import {pathToFileURL} from "node:url";
import ts from "typescript";
import {genericPlugin, type BuiltinPlugin} from "./builtins.js";
import {LabError} from "../core/errors.js";
import {isPlugin, type Plugin, type PluginRef} from "./plugin.js";

export interface BrokenPlugin {
  module: string;
  error: string;
}

/** Type-checks one TypeScript file (strict); returns its diagnostics as `file:line:col: message`. */
export function typeCheck({file, projectDir}: {file: string; projectDir: string}): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    esModuleInterop: true,
    types: ["node"]
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (!d.file || d.start === undefined) return message;
    const {line, character} = d.file.getLineAndCharacterOfPosition(d.start);
    return `${relative(projectDir, d.file.fileName)}:${line + 1}:${character + 1}: ${message}`;
  });
}

/** The ref of a plugin object; `module` must export it as `exportName` (worker threads import it from there). */
function refOf(plugin: Plugin, module: string, exportName: string, source: PluginRef["source"]): PluginRef {
  return {
    name: plugin.name,
    module,
    exportName,
    tags: plugin.tags,
    topics: plugin.topics,
    version: plugin.version ?? 1,
    source
  };
}

async function refFor(module: string, exportName: string, source: PluginRef["source"]): Promise<PluginRef> {
  const loaded = (await import(module)) as Record<string, unknown>;
  const plugin = loaded[exportName];
  if (!isPlugin(plugin))
    throw new Error(
      `its ${exportName === "default" ? "default export" : `export ${exportName}`} is not a plugin: it needs name, tags[], topics[] and execute(ctx, file)`
    );
  return refOf(plugin, module, exportName, source);
}

/**
 * The catalog's generic plugin, the built-in plugins handed in (the registry's) plus every TypeScript module in the plugins folder. A user plugin is
 * type-checked before it is loaded; one that fails to check, to load, or to look like a plugin is
 * reported as broken and skipped, never fatal.
 */
export async function loadPlugins({
  projectDir,
  pluginsDir,
  builtins = []
}: {
  projectDir: string;
  pluginsDir: string;
  builtins?: BuiltinPlugin[];
}): Promise<{plugins: PluginRef[]; broken: BrokenPlugin[]}> {
  const plugins: PluginRef[] = [];
  const broken: BrokenPlugin[] = [];
  for (const b of [genericPlugin, ...builtins]) {
    if (plugins.some((p) => p.name === b.plugin.name))
      throw new LabError({reason: `two built-in plugins are named "${b.plugin.name}"`, hint: "rename one of them"});
    plugins.push(refOf(b.plugin, b.module, b.exportName, "builtin"));
  }
  const dir = join(projectDir, pluginsDir);
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith(".ts") && !n.endsWith(".d.ts"))
      .sort()) {
      const file = join(dir, name);
      const rel = relative(projectDir, file);
      const diagnostics = typeCheck({file, projectDir});
      if (diagnostics.length) {
        broken.push({
          module: rel,
          error: `type errors: ${diagnostics.slice(0, 3).join("; ")}${diagnostics.length > 3 ? ` (+${diagnostics.length - 3} more)` : ""}`
        });
        continue;
      }
      try {
        const ref = await refFor(pathToFileURL(file).href, "default", "user");
        if (plugins.some((p) => p.name === ref.name)) throw new Error(`a plugin named "${ref.name}" already exists`);
        plugins.push(ref);
      } catch (error) {
        broken.push({module: rel, error: error instanceof Error ? error.message : String(error)});
      }
    }
  }
  return {plugins, broken};
}
