import {existsSync, readdirSync} from "node:fs";
import {join, relative} from "node:path";
import {pathToFileURL} from "node:url";
import ts from "typescript";
import {genericPlugin, type BuiltinPlugin} from "./builtins.js";
import {LabError} from "../core/errors.js";
import {isPlugin, type Plugin, type PluginRef} from "./plugin.js";
import {paramsHash, readPluginParams} from "./plugin-params.js";

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
    source,
    params: {},
    paramsHash: ""
  };
}

async function pluginIn(module: string, exportName: string): Promise<Plugin> {
  const loaded = (await import(module)) as Record<string, unknown>;
  const plugin = loaded[exportName];
  if (!isPlugin(plugin))
    throw new Error(
      `its ${exportName === "default" ? "default export" : `export ${exportName}`} is not a plugin: it needs name, tags[], topics[] and execute(ctx, file)`
    );
  return plugin;
}

/**
 * Hands each plugin its parameters from lab.config.ts, checked by the plugin (a bad key throws,
 * naming lab.config.ts and the key). Parameters for a name no plugin has are an error too, unless
 * a broken plugin might be the one they are for.
 */
function applyParams({
  loaded,
  params,
  broken
}: {
  loaded: {ref: PluginRef; plugin: Plugin}[];
  params: Record<string, Record<string, unknown>>;
  broken: BrokenPlugin[];
}): void {
  for (const [name, raw] of Object.entries(params)) {
    const found = loaded.find((l) => l.ref.name === name);
    if (!found) {
      if (broken.length) continue;
      throw new LabError({
        file: "lab.config.ts",
        column: `plugins["${name}"]`,
        reason: "no plugin has this name",
        hint: `known plugins: ${loaded.map((l) => l.ref.name).join(", ")}`
      });
    }
    readPluginParams({plugin: found.plugin, raw});
    found.ref.params = raw;
    found.ref.paramsHash = paramsHash(raw);
  }
}

/**
 * The catalog's generic plugin, the built-in plugins handed in (the registry's) plus every TypeScript module in the plugins folder. A user plugin is
 * type-checked before it is loaded; one that fails to check, to load, or to look like a plugin is
 * reported as broken and skipped, never fatal.
 */
export async function loadPlugins({
  projectDir,
  pluginsDir,
  builtins = [],
  params = {}
}: {
  projectDir: string;
  pluginsDir: string;
  builtins?: BuiltinPlugin[];
  /** lab.config.ts `plugins`: each plugin's parameters by name. */
  params?: Record<string, Record<string, unknown>>;
}): Promise<{plugins: PluginRef[]; broken: BrokenPlugin[]; objects: Map<string, Plugin>}> {
  const loaded: {ref: PluginRef; plugin: Plugin}[] = [];
  const broken: BrokenPlugin[] = [];
  for (const b of [genericPlugin, ...builtins]) {
    if (loaded.some((l) => l.ref.name === b.plugin.name))
      throw new LabError({reason: `two built-in plugins are named "${b.plugin.name}"`, hint: "rename one of them"});
    loaded.push({ref: refOf(b.plugin, b.module, b.exportName, "builtin"), plugin: b.plugin});
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
        const module = pathToFileURL(file).href;
        const plugin = await pluginIn(module, "default");
        if (loaded.some((l) => l.ref.name === plugin.name))
          throw new Error(`a plugin named "${plugin.name}" already exists`);
        loaded.push({ref: refOf(plugin, module, "default", "user"), plugin});
      } catch (error) {
        broken.push({module: rel, error: error instanceof Error ? error.message : String(error)});
      }
    }
  }
  applyParams({loaded, params, broken});
  return {plugins: loaded.map((l) => l.ref), broken, objects: new Map(loaded.map((l) => [l.ref.name, l.plugin]))};
}
