/**
 * `npm run lab -- VERB …`: the lab's pipelines outside the site. `lab --help` lists the verbs,
 * `lab VERB --help` explains one.
 */
import {isLabError} from "../src/lib/core/errors.js";
import {HELP_FLAG, booleanFlags, checkFlags} from "../src/lib/core/flags.js";
import {acquireVerb} from "./verbs/acquire.js";
import {assessVerb} from "./verbs/assess.js";
import {captureVerb} from "./verbs/capture.js";
import {feedVerb} from "./verbs/feed.js";
import {fidelityVerb} from "./verbs/fidelity.js";
import {ingestVerb} from "./verbs/ingest.js";
import {landVerb} from "./verbs/land.js";
import {runVerb} from "./verbs/run.js";
import {serveVerb} from "./verbs/serve.js";
import {simulateVerb} from "./verbs/simulate.js";
import {statusVerb} from "./verbs/status.js";
import {verifyVerb} from "./verbs/verify.js";
import {workerVerb} from "./verbs/worker.js";
import {UsageError, parseArgs, type Verb} from "./verb.js";

const verbs: Verb[] = [
  ingestVerb,
  workerVerb,
  statusVerb,
  runVerb,
  acquireVerb,
  assessVerb,
  simulateVerb,
  feedVerb,
  captureVerb,
  fidelityVerb,
  landVerb,
  serveVerb,
  verifyVerb
];

function mainHelp(): string {
  return `usage: npm run lab -- VERB [options]

verbs:
${verbs.map((v) => `  ${v.name.padEnd(10)} ${v.summary}`).join("\n")}

Run \`npm run lab -- VERB --help\` for a verb's options.`;
}

/**
 * An error the lab did not anticipate, in one line: a missing or unreadable file by its path, any
 * other by its message, never a stack trace (`LAB_DEBUG=1` prints the stack as well).
 */
function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const path = e?.path ? String(e.path) : undefined;
  if (e?.code === "ENOENT" && path) return `${path}: no such file or folder`;
  if ((e?.code === "EACCES" || e?.code === "EPERM") && path) return `${path}: permission denied`;
  if (e?.code === "EISDIR" && path) return `${path}: is a folder, expected a file`;
  if (e?.code === "ENOSPC") return "the disk is full";
  const message = error instanceof Error ? error.message : String(error);
  return `${message.split("\n")[0]} (an unexpected error: LAB_DEBUG=1 prints where it came from)`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(mainHelp());
    return name ? 0 : 1;
  }
  const verb = verbs.find((v) => v.name === name);
  if (!verb) {
    console.error(`lab: unknown verb "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  // The flags may depend on the positionals (`lab run kpi`), and the flags decide which words
  // are positionals (a boolean never takes the next word): parse once for the positionals.
  const first = parseArgs(rest);
  if (first.flags.help) {
    console.log(verb.help);
    return 0;
  }
  try {
    const specs = [HELP_FLAG, ...(typeof verb.flags === "function" ? verb.flags(first.positionals) : verb.flags)];
    const parsed = parseArgs(rest, booleanFlags(specs));
    const args = {...parsed, flags: checkFlags({flags: parsed.flags, specs})};
    return (await verb.run(args)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`lab ${verb.name}: ${error.message}\n\n${verb.help}`);
      return 2;
    }
    if (isLabError(error)) {
      console.error(`lab ${verb.name}: ${error.message}`);
      return 1;
    }
    console.error(`lab ${verb.name}: ${describeError(error)}`);
    if (process.env.LAB_DEBUG) console.error(error);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
