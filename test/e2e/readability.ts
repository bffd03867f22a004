/**
 * What a reader cannot read on a rendered page: table cells cut short (Inputs.table clips with an
 * ellipsis when a column is narrower than its text), chart text drawn smaller than 9 px on screen
 * (a wide SVG scaled down to the page shrinks its text with it), and chart text outside its SVG
 * (clipped, or drawn over its neighbours). Each problem is one line naming the page element.
 */
import type {Page} from "playwright-core";

/** The smallest text a chart may draw, in CSS pixels on screen. */
export const MIN_SVG_FONT_PX = 9;

export async function readabilityProblems(page: Page): Promise<string[]> {
  // tsx and vitest compile with esbuild's keepNames, which wraps the named helpers below in a
  // `__name(...)` call that exists only in Node; the page gets a stand-in.
  await page.evaluate("globalThis.__name ??= (fn) => fn");
  return page.evaluate((minFontPx) => {
    const problems: string[] = [];
    const main = document.querySelector("#observablehq-main") ?? document.body;
    const quote = (text: string | null) => JSON.stringify((text ?? "").trim().replace(/\s+/g, " ").slice(0, 60));
    // The heading a reader would look for: the nearest h1–h3 before the element.
    const section = (element: Element) => {
      const headings = Array.from(main.querySelectorAll("h1, h2, h3"));
      const before = headings.filter(
        (h) => h.compareDocumentPosition(element) & Node.DOCUMENT_POSITION_FOLLOWING && !h.closest("svg, form")
      );
      return quote(before.at(-1)?.textContent ?? "top");
    };

    for (const table of Array.from(main.querySelectorAll("form[class^='inputs-'] table"))) {
      const headers = Array.from(table.querySelectorAll("thead th")).map((th) => (th.textContent ?? "").trim());
      for (const cell of Array.from(table.querySelectorAll<HTMLElement>("th, td"))) {
        if (!(cell.textContent ?? "").trim() || cell.querySelector("input")) continue;
        // Inputs.table clips with overflow: hidden and an ellipsis; the text is cut when it is wider than the cell.
        if (cell.scrollWidth <= cell.clientWidth + 1) continue;
        const column = headers[(cell as HTMLTableCellElement).cellIndex] ?? "?";
        const what = cell.tagName === "TH" ? "header" : `cell in column ${quote(column)}`;
        problems.push(
          `table ${what} cut: ${quote(cell.textContent)} (${cell.scrollWidth} px of text in ${cell.clientWidth} px; section ${section(table)})`
        );
      }
    }

    for (const svg of Array.from(main.querySelectorAll<SVGSVGElement>("svg"))) {
      if (svg.parentElement?.closest("svg")) continue; // nested SVGs are checked with their outer one
      const bounds = svg.getBoundingClientRect();
      if (!bounds.width || !bounds.height) continue;
      const chart = svg.getAttribute("aria-label") ?? svg.closest("figure")?.querySelector("h2, h3")?.textContent ?? "";
      const where = `${chart ? `chart ${quote(chart)}, ` : ""}section ${section(svg)}`;
      const small = new Map<string, {px: number; count: number; sample: string}>();
      for (const text of Array.from(svg.querySelectorAll<SVGTextElement>("text"))) {
        const content = (text.textContent ?? "").trim();
        if (!content) continue;
        const box = text.getBoundingClientRect();
        if (!box.width && !box.height) continue; // not displayed
        // The font size in user units times the scale the SVG's viewBox (and transforms) apply on screen.
        const ctm = text.getScreenCTM();
        const scale = ctm ? Math.sqrt(Math.abs(ctm.a * ctm.d - ctm.b * ctm.c)) : 1;
        const px = parseFloat(getComputedStyle(text).fontSize) * scale;
        if (px < minFontPx - 0.05) {
          const key = px.toFixed(1);
          const seen = small.get(key);
          if (seen) seen.count++;
          else small.set(key, {px, count: 1, sample: content});
        }
        const out =
          box.left < bounds.left - 1 ||
          box.right > bounds.right + 1 ||
          box.top < bounds.top - 1 ||
          box.bottom > bounds.bottom + 1;
        if (out)
          problems.push(
            `svg text outside its chart: ${quote(content)} at x ${Math.round(box.left - bounds.left)}..${Math.round(box.right - bounds.left)}, y ${Math.round(box.top - bounds.top)}..${Math.round(box.bottom - bounds.top)} of ${Math.round(bounds.width)}×${Math.round(bounds.height)} px (${where})`
          );
      }
      for (const {px, count, sample} of small.values())
        problems.push(
          `svg text at ${px.toFixed(1)} px (under ${minFontPx}): ${count} label(s) like ${quote(sample)} (${where})`
        );
    }
    return problems;
  }, MIN_SVG_FONT_PX);
}
