/**
 * The built site in a real browser: build offline (the npm cache emptied first, so every library
 * is answered from node_modules and nothing may reach another host), serve dist/ on 127.0.0.1,
 * open every page in Chromium, and require plots drawn, SQL results with rows, nothing a reader
 * cannot read (readability.ts), and no console error, page error, failed request or request off
 * the origin. The server is a plain static one, and the pages are reached by their sidebar links.
 */
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, relative} from "node:path";
import type {Browser} from "playwright-core";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {browserUnavailable, launchChromium} from "./browser.js";
import {pageLinks, routeFile, sidebarLinks} from "./links.js";
import {pageExpectations} from "./pages.js";
import {readabilityProblems} from "./readability.js";
import {runNode} from "../run-node.js";
import {serveStatic} from "./static-server.js";

const projectDir = join(import.meta.dirname, "..", "..");
const distDir = join(projectDir, "dist");
const skipReason = browserUnavailable();
if (skipReason) console.warn(skipReason);

function builtPages(): string[] {
  const pages: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith("_")) visit(path);
      else if (entry.name.endsWith(".html") && entry.name !== "404.html") {
        const route =
          "/" +
          relative(distDir, path)
            .replace(/\.html$/, "")
            .replace(/(^|\/)index$/, "");
        pages.push(route === "/" ? "/" : route.replace(/\/$/, ""));
      }
    }
  };
  visit(distDir);
  return pages.sort();
}

describe.skipIf(!!skipReason)("built site in Chromium", () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let netLog: string;
  let buildOutput: string;

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), "lab-e2e-"));
    netLog = join(work, "net.log");
    rmSync(join(projectDir, "src", ".observablehq", "cache", "_npm"), {recursive: true, force: true});
    const build = await runNode(["--import", "tsx", "tools/observable.ts", "build"], {
      cwd: projectDir,
      env: {...process.env, LAB_NET_LOG: netLog, FORCE_COLOR: "0"},
      timeoutMs: 600_000
    });
    buildOutput = `${build.stdout}\n${build.stderr}`;
    if (build.status !== 0) throw new Error(`build failed (exit ${build.status}):\n${buildOutput.slice(-4000)}`);
    site = await serveStatic(distDir);
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  test("the build answered every library from node_modules and reached no other host", () => {
    expect(existsSync(netLog) ? readFileSync(netLog, "utf-8") : "").toBe("");
    expect(buildOutput).not.toMatch(/offline build: refused/);
    // The npm cache was emptied first, so these were all served from node_modules in this build.
    expect(buildOutput).toMatch(/npm:@observablehq\/plot@0\.6\.17\/\+esm/);
    expect(buildOutput).toMatch(/npm:@duckdb\/duckdb-wasm@1\.29\.0\/dist\/duckdb-browser-eh\.worker\.js/);
    expect(existsSync(join(distDir, "_npm", "@duckdb", "duckdb-wasm@1.29.0", "dist", "duckdb-eh.wasm"))).toBe(true);
  });

  test("every built page has expectations", () => {
    expect(builtPages().filter((page) => !pageExpectations[page])).toEqual([]);
  });

  test("the sidebar opens every page on a plain static server, and every link on them resolves", async () => {
    const page = await browser.newPage();
    const home = await page.goto(site.origin + "/");
    expect(home?.status()).toBe(200);
    const sidebar = await sidebarLinks(page);
    // The home link and one per page in the config reach every built page, each by its file.
    expect(sidebar.map(({url}) => new URL(url).pathname).sort()).toEqual(
      builtPages()
        .map((route) => routeFile({distDir, route}))
        .sort()
    );
    const checked = new Map<string, number>();
    for (const {name, url} of sidebar) {
      const response = await page.goto(url);
      expect(response?.status(), `${name}: ${url}`).toBe(200);
      await page.waitForFunction(() => !document.querySelector("observablehq-loading"), null, {timeout: 90_000});
      expect(await page.locator("#observablehq-main h1").count(), `${name} renders a title`).toBeGreaterThan(0);
      expect(await page.locator(".observablehq--error").allTextContents(), `${name}: cell errors`).toEqual([]);
      for (const link of await pageLinks(page)) {
        if (!checked.has(link)) checked.set(link, (await page.request.get(link, {maxRedirects: 0})).status());
        expect(checked.get(link), `${name} links to ${link}`).toBe(200);
      }
    }
    await page.close();
  });

  for (const [route, expected] of Object.entries(pageExpectations)) {
    test(`page ${route}`, async () => {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console error: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("requestfailed", (request) =>
        problems.push(`failed request: ${request.url()} (${request.failure()?.errorText})`)
      );
      page.on("request", (request) => {
        const url = request.url();
        if (!url.startsWith(site.origin) && !url.startsWith("data:") && !url.startsWith("blob:"))
          problems.push(`request off the origin: ${url}`);
      });
      page.on("response", (response) => {
        if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
      });
      const response = await page.goto(site.origin + routeFile({distDir, route}));
      expect(response?.status()).toBe(200);
      const counts = () =>
        page.evaluate(() => {
          // A plot counts only if a data mark (not an axis, rule or text) drew a shape with a size.
          const dataMark =
            /^(bar|line|dot|area|rect|cell|link|arrow|geo|image|vector|hexagon|density|contour|raster|tick)$/;
          const plots = Array.from(document.querySelectorAll("svg[class^='plot-']")).filter((svg) =>
            Array.from(svg.querySelectorAll("g[aria-label]")).some(
              (g) =>
                dataMark.test(g.getAttribute("aria-label") ?? "") &&
                Array.from(g.querySelectorAll("path, rect, circle, line")).some((shape) => {
                  const box = (shape as SVGGraphicsElement).getBBox();
                  return box.width > 0 || box.height > 0;
                })
            )
          ).length;
          const tables = Array.from(document.querySelectorAll("form[class^='inputs-'] table")).filter(
            (t) => t.querySelectorAll("tbody tr").length > 0
          ).length;
          const loading = document.querySelectorAll("observablehq-loading").length;
          const errors = Array.from(document.querySelectorAll(".observablehq--error")).map((e) => e.textContent ?? "");
          return {plots, tables, loading, errors, text: document.body.innerText};
        });
      let state = await counts();
      const deadline = Date.now() + 90_000;
      while (
        (state.loading > 0 || state.plots < expected.plots || state.tables < expected.tables) &&
        !state.errors.length &&
        Date.now() < deadline
      ) {
        await page.waitForTimeout(250);
        state = await counts();
      }
      await page.waitForTimeout(500); // let late requests and errors surface
      expect(state.errors, "cell errors").toEqual([]);
      expect(problems).toEqual([]);
      expect(state.plots, "plots drawn").toBeGreaterThanOrEqual(expected.plots);
      expect(state.tables, "SQL tables with rows").toBeGreaterThanOrEqual(expected.tables);
      for (const text of expected.text ?? []) expect(state.text).toContain(text);
      expect(await readabilityProblems(page), "what a reader cannot read").toEqual([]);
      // Narrower, where grid columns are narrowest (the sidebar still shown): charts that are
      // scaled rather than laid out at their width shrink their text here.
      await page.setViewportSize({width: 900, height: 720});
      await page.waitForTimeout(500);
      expect(await readabilityProblems(page), "what a reader cannot read at 900 px").toEqual([]);
      await page.setViewportSize({width: 1280, height: 720});
      await page.screenshot({
        path: join(projectDir, "test-results", `${route === "/" ? "index" : route.slice(1).replaceAll("/", "_")}.png`),
        fullPage: true
      });
      await page.close();
    }, 120_000);
  }
});
