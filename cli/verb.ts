import {UsageError, type FlagSpec} from "../src/lib/core/flags.js";

export {UsageError, flag, type FlagSpec} from "../src/lib/core/flags.js";

/** A `lab` verb: one subcommand of `npm run lab -- VERB …`. */
export interface Verb {
  name: string;
  /** One line for `lab --help`. */
  summary: string;
  /** The full `lab VERB --help` text: usage line, options with defaults, an example. */
  help: string;
  /**
   * Every flag it takes (`--help` aside); `lab` refuses any other before running it. A function
   * when they depend on the positionals (`lab run kpi` takes the kpi pipeline's flags).
   */
  flags: FlagSpec[] | ((positionals: string[]) => FlagSpec[]);
  run(args: ParsedArgs): Promise<number | void>;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean>;
}

/**
 * Parses `--name value`, `--name=value` and bare `--flag` (true). A flag followed by another flag
 * or nothing, or named in `booleans`, is boolean (so `--strict file.csv` keeps the file a
 * positional); `--` ends flag parsing.
 */
export function parseArgs(argv: string[], booleans: ReadonlySet<string> = new Set()): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--") && !booleans.has(arg.slice(2)))
        flags[arg.slice(2)] = argv[++i]!;
      else flags[arg.slice(2)] = true;
    } else if (arg === "-h") {
      flags.help = true;
    } else {
      positionals.push(arg);
    }
  }
  return {positionals, flags};
}

/** A flag as a string, with a default; a boolean flag where a value was expected is an error. */
export function stringFlag(args: ParsedArgs, name: string, fallback?: string): string | undefined {
  const value = args.flags[name];
  if (value === undefined) return fallback;
  if (value === true) throw new UsageError(`--${name} needs a value`);
  return value as string;
}

export function numberFlag(args: ParsedArgs, name: string, fallback?: number): number | undefined {
  const text = stringFlag(args, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${text}"`);
  return value;
}

/**
 * Refuses a secret given on the command line (readable by anyone in `ps`), naming the file flag
 * and environment variable to use instead.
 */
export function refuseArgvSecret({
  args,
  flag,
  fileFlag,
  env
}: {
  args: ParsedArgs;
  flag: string;
  fileFlag: string;
  env: string;
}): void {
  if (args.flags[flag] !== undefined)
    throw new UsageError(
      `--${flag} no longer takes a secret on the command line (anyone can read it in ps): put it in a file and pass --${fileFlag} FILE, or set $${env}`
    );
}
