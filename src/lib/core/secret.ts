import {createHash, timingSafeEqual} from "node:crypto";
import {readFileSync} from "node:fs";
import {LabError} from "./errors.js";

/**
 * A secret from a file (preferred: `--x-file FILE`, mode 600) or an environment variable, never
 * from the command line, where every user on the machine can read it in `ps`. The file wins when
 * both are given; its trailing newline is dropped. Returns undefined when neither is set (an empty
 * value counts as unset).
 */
export function readSecret({name, env, file}: {name: string; env?: string; file?: string}): string | undefined {
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf-8");
    } catch (error) {
      throw new LabError({file, reason: `cannot read the ${name}: ${(error as Error).message}`, cause: error});
    }
    const secret = text.replace(/\r?\n$/, "");
    if (!secret) throw new LabError({file, reason: `the ${name} file is empty`, hint: `write the ${name} into it`});
    return secret;
  }
  const value = env === undefined ? undefined : process.env[env];
  return value ? value : undefined;
}

/**
 * Compares a presented secret with the expected one in constant time: both are hashed first, so
 * neither the content nor the length of the expected secret leaks through the comparison's timing.
 */
export function secretsEqual({given, expected}: {given: string; expected: string}): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
