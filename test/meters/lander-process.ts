import {spawn, type ChildProcess} from "node:child_process";
import {join} from "node:path";

const repoDir = join(import.meta.dirname, "..", "..");

/**
 * `lab land ami …` as a child process (so a test can kill it with SIGKILL); secrets go in `env`,
 * as they would for a user.
 */
export function spawnLander({
  args,
  env = {}
}: {
  args: string[];
  env?: Record<string, string>;
}): ChildProcess & {log(): string} {
  const child = spawn(process.execPath, ["--import", "tsx", join(repoDir, "cli", "lab.ts"), "land", "ami", ...args], {
    cwd: repoDir,
    env: {...process.env, ...env},
    stdio: ["ignore", "pipe", "pipe"]
  });
  let log = "";
  child.stdout!.on("data", (c) => (log += c));
  child.stderr!.on("data", (c) => (log += c));
  return Object.assign(child, {log: () => log});
}

/** Resolves once the lander has committed past a thousand readings. */
export function afterFirstCommits(child: ReturnType<typeof spawnLander>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no commit seen:\n${child.log()}`)), 30_000);
    child.stdout!.on("data", () => {
      if (/committed through reading [1-9]\d{3,}/.test(child.log())) (clearTimeout(timer), resolve());
    });
  });
}

/** Kills the lander without a chance to clean up, and waits for it to be gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
}

export async function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => child.once("exit", (code) => r(code)));
}
