import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, it} from "vitest";
import {writeFilesAtomically} from "../../src/lib/core/atomic-file.js";
import {replaceFolder, STAGED_MARKER, withStagedFolder} from "../../src/lib/core/staged-folder.js";

const scratch = () => mkdtempSync(join(tmpdir(), "staged-"));

/** Every file under `dir` with its bytes, by relative path. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, {withFileTypes: true, recursive: true}))
    if (e.isFile()) {
      const path = join(e.parentPath, e.name);
      out[path.slice(dir.length + 1)] = readFileSync(path).toString("base64");
    }
  return out;
}

async function firstRun(outDir: string) {
  await withStagedFolder({
    outDir,
    write: async (dir) => {
      for (const t of ["a", "b", "c"]) writeFileSync(join(dir, `${t}.parquet`), `old ${t}`);
    }
  });
}

describe("withStagedFolder", () => {
  it("swaps the new folder in whole on success: nothing of the old set stays", async () => {
    const root = scratch();
    const out = join(root, "out");
    await firstRun(out);
    await withStagedFolder({outDir: out, write: async (dir) => writeFileSync(join(dir, "a.parquet"), "new a")});
    expect(readdirSync(out).sort()).toEqual([STAGED_MARKER, "a.parquet"]);
    expect(readFileSync(join(out, "a.parquet"), "utf-8")).toBe("new a");
    expect(readdirSync(root)).toEqual(["out"]);
  });

  it("leaves the old folder byte-identical when the run fails after writing some tables", async () => {
    const root = scratch();
    const out = join(root, "out");
    await firstRun(out);
    const before = snapshot(out);
    await expect(
      withStagedFolder({
        outDir: out,
        write: async (dir) => {
          writeFileSync(join(dir, "a.parquet"), "new a");
          writeFileSync(join(dir, "b.parquet"), "new b");
          throw new Error("the third table failed");
        }
      })
    ).rejects.toThrow("the third table failed");
    expect(snapshot(out)).toEqual(before);
    expect(readdirSync(root)).toEqual(["out"]);
  });

  it("keeps a stable staging folder on failure, and resume continues in it", async () => {
    const root = scratch();
    const out = join(root, "out");
    const stageDir = `${out}.partial`;
    await expect(
      withStagedFolder({
        outDir: out,
        stageDir,
        write: async (dir) => {
          writeFileSync(join(dir, "checkpoint.json"), "segment 1");
          throw new Error("killed");
        }
      })
    ).rejects.toThrow("killed");
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(join(stageDir, "checkpoint.json"), "utf-8")).toBe("segment 1");
    await withStagedFolder({
      outDir: out,
      stageDir,
      resume: true,
      write: async (dir) => writeFileSync(join(dir, "events.parquet"), readFileSync(join(dir, "checkpoint.json")))
    });
    expect(readFileSync(join(out, "events.parquet"), "utf-8")).toBe("segment 1");
    expect(existsSync(stageDir)).toBe(false);
  });

  it("drops the stable staging folder when the failure leaves nothing to resume", async () => {
    const out = join(scratch(), "out");
    await expect(
      withStagedFolder({
        outDir: out,
        stageDir: `${out}.partial`,
        keepOnFailure: () => false,
        write: async () => {
          throw new Error("bad input");
        }
      })
    ).rejects.toThrow("bad input");
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it("carries named state files over from the old folder", async () => {
    const out = join(scratch(), "out");
    await withStagedFolder({outDir: out, write: async (dir) => writeFileSync(join(dir, "log.jsonl"), "1\n")});
    await withStagedFolder({
      outDir: out,
      carry: ["log.jsonl", "missing.json"],
      write: async (dir) => writeFileSync(join(dir, "log.jsonl"), readFileSync(join(dir, "log.jsonl"), "utf-8") + "2\n")
    });
    expect(readFileSync(join(out, "log.jsonl"), "utf-8")).toBe("1\n2\n");
  });

  it("refuses a folder holding files no run wrote, and the working folder", async () => {
    const out = join(scratch(), "mine");
    mkdirSync(out);
    writeFileSync(join(out, "thesis.tex"), "precious");
    const write = async () => {};
    await expect(withStagedFolder({outDir: out, write})).rejects.toThrow(
      /holds files a run did not write \(thesis\.tex\)/
    );
    expect(readFileSync(join(out, "thesis.tex"), "utf-8")).toBe("precious");
    await expect(withStagedFolder({outDir: process.cwd(), write})).rejects.toThrow(/working folder/);
  });
});

describe("replaceFolder", () => {
  it("puts the old folder back when the new one cannot be renamed in", async () => {
    const root = scratch();
    const out = join(root, "out");
    mkdirSync(out);
    writeFileSync(join(out, "x"), "old");
    await expect(replaceFolder({from: join(root, "absent"), to: out})).rejects.toThrow();
    expect(readFileSync(join(out, "x"), "utf-8")).toBe("old");
  });
});

describe("writeFilesAtomically", () => {
  it("replaces no file unless every file was written", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "report.json"), "old json");
    writeFileSync(join(dir, "report.md"), "old md");
    await expect(
      writeFilesAtomically([
        {path: join(dir, "report.json"), write: async (temp) => writeFileSync(temp, "new json")},
        {
          path: join(dir, "report.md"),
          write: async () => {
            throw new Error("markdown failed");
          }
        }
      ])
    ).rejects.toThrow("markdown failed");
    expect(readdirSync(dir).sort()).toEqual(["report.json", "report.md"]);
    expect(readFileSync(join(dir, "report.json"), "utf-8")).toBe("old json");
  });
});
