import {describe, expect, test} from "vitest";
import {catalogStatus} from "../../src/lib/catalog/status.js";
import {genericRouting} from "../../src/lib/catalog/config.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {makeProject} from "./helpers.js";

// The lab's own routing: the pipelines' rules (datasets/kpi/** to the KPI plugin) before the generic ones.
const routing = [...catalogBuiltins().routing, ...genericRouting];

describe("lab status", () => {
  test("counts the rows each dataset had set aside, per quarantine table", async () => {
    const p = makeProject({routing});
    const days = Array.from({length: 10}, (_, i) => `2024-01-${String(i + 1).padStart(2, "0")},${10 + i}`);
    // Two bad rows in shop (an impossible date, a value that is not a number), none in web.
    p.write("datasets/kpi/shop/orders.csv", ["date,amount", ...days, "2024-13-45,3", "2024-01-20,lots"].join("\n"));
    p.write("datasets/kpi/web/visits.csv", ["date,amount", ...days].join("\n"));
    await p.ingest();
    const status = await catalogStatus({paths: p.paths});
    expect(status.quarantine).toEqual([{topic: "quarantine", dataset: "shop", rows: 2}]);
  });

  test("a warehouse without quarantined rows reports none", async () => {
    const p = makeProject({routing});
    p.write("datasets/kpi/web/visits.csv", "date,amount\n2024-01-01,3\n2024-01-02,4\n");
    await p.ingest();
    expect((await catalogStatus({paths: p.paths})).quarantine).toEqual([]);
  });
});
