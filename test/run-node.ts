import {spawn} from "node:child_process";

export interface NodeRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node ...args` and resolves when it exits. Asynchronous on purpose: a spawnSync that
 * blocks a vitest worker for a minute starves its RPC to the main process ("Timeout calling
 * onTaskUpdate"), which fails the run even though every test passed.
 */
export function runNode(args: string[], options: {cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number}): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"]});
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf-8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf-8").on("data", (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({status, stdout, stderr});
    });
  });
}
