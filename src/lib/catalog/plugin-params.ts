/**
 * Plugin parameters: lab.config.ts `plugins: {"<plugin name>": {…}}`, read by the plugin's own
 * `params(reader)` with an OptionReader, so every error names lab.config.ts and the key. The
 * coordinator checks them when it loads the plugins (a bad key stops the ingest before any job
 * runs) and each job thread reads them again into `ctx.params`. Their hash is part of a job's key:
 * changing a plugin's parameters reprocesses the files it handled.
 */
import {createHash} from "node:crypto";
import {OptionReader} from "../core/dataset.js";
import {LabError} from "../core/errors.js";
import type {Plugin} from "./plugin.js";

const CONFIG_FILE = "lab.config.ts";

/** The plugin's parameters as it reads them; throws a LabError naming lab.config.ts and the key. */
export function readPluginParams({plugin, raw}: {plugin: Plugin; raw: Record<string, unknown>}): object {
  const where = `${CONFIG_FILE}:plugins["${plugin.name}"]`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new LabError({file: where, reason: `expected an object of parameters, found ${JSON.stringify(raw)}`});
  if (!plugin.params) {
    const [key] = Object.keys(raw);
    if (key === undefined) return {};
    throw new LabError({
      file: where,
      column: key,
      reason: "unknown option",
      hint: `plugin ${plugin.name} takes no parameters (it has no params(reader))`
    });
  }
  const reader = new OptionReader({options: raw, optionsFile: where});
  const params = plugin.params(reader);
  reader.finish();
  return params;
}

/** A stable hash of a plugin's parameters ("" for none, so a plugin without any keeps its jobs). */
export function paramsHash(raw: Record<string, unknown>): string {
  if (!Object.keys(raw).length) return "";
  return createHash("sha256").update(stableJson(raw)).digest("hex").slice(0, 16);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value) ?? "null";
}
