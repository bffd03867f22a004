import {spawn} from "node:child_process";
import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readSecret} from "../../src/lib/core/secret.js";
import {appendEvidence} from "../../src/lib/effluent/evidence-log.js";

const repoDir = join(import.meta.dirname, "..", "..");

/** Runs `lab ARGS` with `env`; resolves with its output once it exits or prints `until`. */
function lab({args, env = {}, until}: {args: string[]; env?: Record<string, string>; until?: RegExp}) {
  return new Promise<{code: number | null; output: string}>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(repoDir, "cli", "lab.ts"), ...args], {
      cwd: repoDir,
      env: {...process.env, LAB_AMI_TOKEN: "", LAB_EVIDENCE_KEY: "", LAB_EVIDENCE_KEY_FILE: "", ...env},
      stdio: ["ignore", "pipe", "pipe"]
    });
    let output = "";
    const take = (c: Buffer) => {
      output += c;
      if (until?.test(output)) child.kill("SIGTERM");
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("exit", (code) => resolve({code, output}));
  });
}

describe("secrets", () => {
  test("readSecret: a file wins over the environment, drops its newline, and must not be empty", () => {
    const dir = mkdtempSync(join(tmpdir(), "secret-"));
    writeFileSync(join(dir, "key"), "from-file\n");
    writeFileSync(join(dir, "empty"), "");
    process.env.LAB_TEST_SECRET = "from-env";
    try {
      expect(readSecret({name: "key", env: "LAB_TEST_SECRET", file: join(dir, "key")})).toBe("from-file");
      expect(readSecret({name: "key", env: "LAB_TEST_SECRET"})).toBe("from-env");
      expect(() => readSecret({name: "key", file: join(dir, "empty")})).toThrow(
        `${join(dir, "empty")}: the key file is empty`
      );
      expect(() => readSecret({name: "key", file: join(dir, "missing")})).toThrow(/cannot read the key/);
    } finally {
      delete process.env.LAB_TEST_SECRET;
    }
    expect(readSecret({name: "key", env: "LAB_TEST_SECRET"})).toBeUndefined();
  });

  test("the old argv flags are errors naming what to use instead", async () => {
    const land = await lab({args: ["land", "ami", "ws://127.0.0.1:1/ami", "--out", tmpdir(), "--token", "s3cret"]});
    expect(land.code).toBe(2);
    expect(land.output).toContain("--token no longer takes a secret on the command line");
    expect(land.output).toContain("--token-file FILE, or set $LAB_AMI_TOKEN");
    const pg = await lab({
      args: ["land", "ami", "ws://127.0.0.1:1/ami", "--out", tmpdir(), "--postgres", "postgres://u:p@h/d"]
    });
    expect(pg.output).toContain("--postgres-url-file FILE, or set $LAB_POSTGRES_URL");
    const feed = await lab({args: ["feed", "ami", "--port", "0", "--token", "s3cret"]});
    expect(feed.code).toBe(2);
  }, 60_000);

  test("the AMI feed's banner never prints the token", async () => {
    const fromEnv = await lab({
      args: ["feed", "ami", "--port", "0"],
      env: {LAB_AMI_TOKEN: "banner-s3cret"},
      until: /Ctrl-C/
    });
    expect(fromEnv.output).toContain("token from $LAB_AMI_TOKEN");
    expect(fromEnv.output).not.toContain("banner-s3cret");
    const random = await lab({args: ["feed", "ami", "--port", "0"], until: /Ctrl-C/});
    expect(random.output).toMatch(/random token in \S+token: land with --token-file/);
    expect(random.output).not.toMatch(/[0-9a-f]{32}/);
  }, 60_000);

  test("lab verify evidence says when only the unkeyed chain was checked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verify-"));
    const path = join(dir, "evidence_log.jsonl");
    const keyFile = join(dir, "key");
    writeFileSync(keyFile, "k3y\n");
    appendEvidence({
      path,
      key: "k3y",
      attributions: [
        {
          event_id: "E1",
          method: "robust_lag",
          factory_id: "F01",
          lag_minutes: 10,
          factory_cod: 900,
          score: 9,
          confidence: 0.9,
          evidence: "F01"
        }
      ]
    });
    const unkeyed = await lab({args: ["verify", "evidence", path]});
    expect(unkeyed.code).toBe(0);
    expect(unkeyed.output).toContain("chain intact — unkeyed check only");
    const keyed = await lab({args: ["verify", "evidence", path, "--key-file", keyFile]});
    expect(keyed.output).toContain("chain intact and every link signed with the evidence key");
    const wrong = await lab({args: ["verify", "evidence", path], env: {LAB_EVIDENCE_KEY: "other"}});
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain("forged");
  }, 60_000);
});
