/**
 * The built site in a real browser: build offline (the npm cache emptied first, so every library
 * is answered from node_modules and nothing may reach another host), serve dist/ on 127.0.0.1,
 * open every page in Chromium, and require plots drawn, SQL results with rows, nothing a reader
 * cannot read (readability.ts), and no console error, page error, failed request or request off
 * the origin. The server is a plain static one, and the pages are reached by their sidebar links.
 */
import {existsSync, mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import type {Browser} from "playwright-core";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {browserUnavailable, launchChromium} from "./browser.js";
import {pageLinks, routeFile, sidebarLinks} from "./links.js";
import {pageExpectations} from "./pages.js";
import {checkPage, screenshotFile} from "./page-check.js";
import {buildSite, builtPages} from "./build-site.js";
import {serveStatic} from "./static-server.js";

const projectDir = join(import.meta.dirname, "..", "..");
const distDir = join(projectDir, "dist");
const skipReason = browserUnavailable();
if (skipReason) console.warn(skipReason);

describe.skipIf(!!skipReason)("built site in Chromium", () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let netLog: string;
  let buildOutput: string;

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), "lab-e2e-"));
    netLog = join(work, "net.log");
    rmSync(join(projectDir, "src", ".observablehq", "cache", "_npm"), {recursive: true, force: true});
    buildOutput = await buildSite({projectDir, netLog});
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
    expect(builtPages(distDir).filter((page) => !pageExpectations[page])).toEqual([]);
  });

  test("the sidebar opens every page on a plain static server, and every link on them resolves", async () => {
    const page = await browser.newPage();
    const home = await page.goto(site.origin + "/");
    expect(home?.status()).toBe(200);
    const sidebar = await sidebarLinks(page);
    // The home link and one per page in the config reach every built page, each by its file.
    expect(sidebar.map(({url}) => new URL(url).pathname).sort()).toEqual(
      builtPages(distDir)
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
      const check = await checkPage({
        browser,
        origin: site.origin,
        distDir,
        route,
        expected,
        screenshotPath: screenshotFile({projectDir, route})
      });
      expect(check.errors, "cell errors").toEqual([]);
      expect(check.problems).toEqual([]);
      expect(check.plots, "plots drawn").toBeGreaterThanOrEqual(expected.plots);
      expect(check.tables, "SQL tables with rows").toBeGreaterThanOrEqual(expected.tables);
      for (const text of expected.text ?? []) expect(check.text).toContain(text);
      expect(check.readability, "what a reader cannot read").toEqual([]);
      expect(check.readabilityNarrow, "what a reader cannot read at 900 px").toEqual([]);
    }, 120_000);
  }
});
