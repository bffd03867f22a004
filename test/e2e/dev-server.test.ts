/**
 * `npm run dev` stops cleanly: a SIGTERM sent to npm (which forwards it) or a Ctrl-C (SIGINT to
 * the terminal's whole process group) ends every process of the dev command within seconds,
 * closes the server, and leaves no ingest lock behind. The lab state is a temporary copy of .lab/
 * (LAB_DIR), so the test neither waits for a full ingest nor touches the project's own catalog.
 */
import {spawn} from "node:child_process";
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync} from "node:fs";
import {createServer} from "node:net";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterEach, describe, expect, test} from "vitest";

const projectDir = join(import.meta.dirname, "..", "..");

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Whether any process of the group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - start;
}

async function serves(url: string): Promise<boolean> {
  try {
    await fetch(url, {redirect: "manual"});
    return true;
  } catch {
    return false;
  }
}

const started: number[] = [];
afterEach(() => {
  for (const pgid of started.splice(0)) if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
});

/** Starts `npm run dev` in its own process group on a free port, over a copy of the lab state. */
async function startDev(): Promise<{pid: number; url: string; lockPath: string; output: () => string}> {
  const labDir = join(mkdtempSync(join(tmpdir(), "lab-dev-")), "lab");
  if (existsSync(join(projectDir, ".lab")))
    cpSync(join(projectDir, ".lab"), labDir, {recursive: true, filter: (src) => !src.endsWith("ingest.lock")});
  const port = await freePort();
  const child = spawn("npm", ["run", "dev", "--", "--no-open", "--port", String(port)], {
    cwd: projectDir,
    env: {...process.env, LAB_DIR: labDir, FORCE_COLOR: "0"},
    stdio: ["ignore", "pipe", "pipe"],
    detached: true
  });
  let output = "";
  child.stdout.setEncoding("utf-8").on("data", (text: string) => (output += text));
  child.stderr.setEncoding("utf-8").on("data", (text: string) => (output += text));
  started.push(child.pid!);
  const url = `http://127.0.0.1:${port}/`;
  await until(() => serves(url), 300_000, `dev server at ${url}\n${output}`);
  return {pid: child.pid!, url, lockPath: join(labDir, "ingest.lock"), output: () => output};
}

describe("npm run dev", () => {
  for (const [how, signal, target] of [
    ["SIGTERM to npm", "SIGTERM", "npm"],
    ["Ctrl-C (SIGINT to the process group)", "SIGINT", "group"]
  ] as const) {
    test(`stops cleanly on ${how}`, async () => {
      const dev = await startDev();
      // The watch holds the lock while it serves: the lock names a live process of the dev command.
      const holder = Number(readFileSync(dev.lockPath, "utf-8"));
      expect(() => process.kill(holder, 0)).not.toThrow();

      process.kill(target === "npm" ? dev.pid : -dev.pid, signal);
      const ms = await until(
        () => !groupAlive(dev.pid),
        8000,
        `every process of the dev command gone\n${dev.output()}`
      );
      console.log(`npm run dev: ${how} → all processes gone in ${ms} ms`);
      expect(existsSync(dev.lockPath), "ingest lock left behind").toBe(false);
      expect(await serves(dev.url), "server still answering").toBe(false);
      expect(dev.output()).toContain(`${signal}: stopping the dev server and the ingest watch`);
    }, 400_000);
  }
});
