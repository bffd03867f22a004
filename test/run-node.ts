import {spawn} from "node:child_process";

export interface NodeRun {
  /** Exit code, or null when a signal ended the process (then `signal` names it). */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface NodeProcess {
  /** Resolves when the process has exited (whatever its status), with everything it printed. */
  done: Promise<NodeRun>;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Resolves once the output contains `text`; rejects after `timeoutMs` with the output so far. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  /** kill -9. */
  kill(): void;
}

/**
 * Starts `node ...args`, asynchronously on purpose: a spawnSync that blocks a vitest worker for
 * a minute starves its RPC to the main process ("Timeout calling onTaskUpdate"), which fails the
 * run even though every test passed. Crash tests kill it part-way (`waitFor`, `kill`); others
 * just await `done`. With `timeoutMs`, the process is killed if it runs longer.
 */
export function startNode(
  args: string[],
  options: {cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number}
): NodeProcess {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"]
  });
  let stdout = "",
    stderr = "",
    both = "";
  const watchers = new Set<() => void>();
  const seen = () => watchers.forEach((w) => w());
  child.stdout.setEncoding("utf-8").on("data", (text: string) => ((stdout += text), (both += text), seen()));
  child.stderr.setEncoding("utf-8").on("data", (text: string) => ((stderr += text), (both += text), seen()));
  const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
  const done = new Promise<NodeRun>((resolve, reject) => {
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      seen();
      resolve({status, signal, stdout, stderr});
    });
  });
  return {
    done,
    output: () => both,
    waitFor: (text, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!both.includes(text)) return;
          watchers.delete(check);
          clearTimeout(giveUp);
          resolve();
        };
        const giveUp = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`never printed "${text}" within ${timeoutMs} ms:\n${both}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      }),
    kill: () => child.kill("SIGKILL")
  };
}

/** Runs `node ...args` to its end. */
export function runNode(
  args: string[],
  options: {cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number}
): Promise<NodeRun> {
  return startNode(args, options).done;
}
