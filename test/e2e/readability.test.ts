/**
 * The readability check on pages built to fail it: a cut table header and cell, chart text scaled
 * below 9 px by its viewBox, and a label drawn past its chart's edge; and a page that passes.
 */
import type {Browser} from "playwright-core";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {browserUnavailable, launchChromium} from "./browser.js";
import {readabilityProblems} from "./readability.js";

const skipReason = browserUnavailable();

// The CSS Inputs.table uses: fixed columns that clip with an ellipsis.
const table = (width: number) => `
  <form class="inputs-test inputs-test-table"><table style="table-layout: fixed; width: ${width}px">
    <thead><tr><th>event_id</th><th>reliability score</th></tr></thead>
    <tbody><tr><td>E202403020259</td><td>67</td></tr></tbody>
  </table></form>
  <style>th, td { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font: 13px sans-serif; }</style>`;

describe.skipIf(!!skipReason)("readability check", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function problemsOf(body: string): Promise<string[]> {
    const page = await browser.newPage();
    await page.setContent(`<main id="observablehq-main"><h2>Section</h2>${body}</main>`);
    const problems = await readabilityProblems(page);
    await page.close();
    return problems;
  }

  test("finds a cut header and a cut cell", async () => {
    const problems = await problemsOf(table(120));
    expect(problems.some((p) => p.startsWith('table header cut: "reliability score"'))).toBe(true);
    expect(problems.some((p) => p.startsWith('table cell in column "event_id" cut: "E202403020259"'))).toBe(true);
    expect(await problemsOf(table(400))).toEqual([]);
  });

  test("finds chart text shrunk under 9 px by the SVG's scaling", async () => {
    // 640 user units drawn 320 px wide: 10 px text renders at 5 px.
    const svg = (width: number) =>
      `<svg viewBox="0 0 640 100" width="${width}" height="${width / 6.4}"><text x="20" y="50" font-size="10">RESIDENTIAL</text></svg>`;
    expect(await problemsOf(svg(320))).toEqual([
      'svg text at 5.0 px (under 9): 1 label(s) like "RESIDENTIAL" (section "Section")'
    ]);
    expect(await problemsOf(svg(640))).toEqual([]);
  });

  test("finds a label outside its chart", async () => {
    const problems = await problemsOf(
      `<svg width="200" height="60" style="overflow: visible"><text x="-40" y="30" font-size="12">F01 injected</text></svg>`
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^svg text outside its chart: "F01 injected" at x -40\.\./);
  });
});
