import {describe, expect, test} from "vitest";
import {describeDataset, pipelineDatasets, quarantineSummary, type DatasetRow} from "../../src/lib/client/datasets.js";

const row = (over: Partial<DatasetRow>): DatasetRow => ({
  pipeline: "kpi",
  dataset: "x",
  folder: "kpi/x",
  simulated: false,
  files: 1n,
  newest_mtime: Date.UTC(2024, 0, 1),
  options_file: null,
  ...over
});

describe("dataset picker", () => {
  test("the default is the newest real dataset; simulations come after every real one", () => {
    const datasets = [
      row({dataset: "simulated", simulated: true, newest_mtime: Date.UTC(2025, 0, 1)}),
      row({dataset: "old", newest_mtime: Date.UTC(2023, 5, 1)}),
      row({dataset: "shop", newest_mtime: Date.UTC(2024, 5, 1)}),
      row({dataset: "meters-only", pipeline: "meters"}),
      row({dataset: "loose", pipeline: null})
    ];
    expect(pipelineDatasets({datasets, pipeline: "kpi"}).map((d) => d.dataset)).toEqual(["shop", "old", "simulated"]);
    expect(pipelineDatasets({datasets, pipeline: "effluent"})).toEqual([]);
  });

  test("a pipeline with only its simulation defaults to it", () => {
    const datasets = [row({dataset: "simulated", simulated: true})];
    expect(pipelineDatasets({datasets, pipeline: "kpi"})[0]?.dataset).toBe("simulated");
  });

  test("a dataset is described by its kind, folder, files, options and newest file", () => {
    expect(
      describeDataset(row({dataset: "shop", folder: "kpi/shop", files: 2n, options_file: "kpi/shop/dataset.json"}))
    ).toBe("your data: 2 files in kpi/shop/, options from kpi/shop/dataset.json, newest file 2024-01-01");
    expect(describeDataset(row({simulated: true, folder: "kpi/simulated", newest_mtime: null}))).toBe(
      "simulated data: 1 file in kpi/simulated/, default options"
    );
  });

  test("the rows set aside are summed in words, and none is said so", () => {
    const rows = [
      {file: "a.csv", column: "date", reason: "impossible date", rows: 3n, lines: "2, 5, 9"},
      {file: "b.csv", column: "amount", reason: "not a number", rows: 1n, lines: "4"}
    ];
    expect(quarantineSummary({rows, dataset: "shop"})).toMatch(
      /^4 rows of the dataset shop \(in 2 files\) were set aside/
    );
    expect(quarantineSummary({rows: rows.slice(1), dataset: "shop"})).toMatch(
      /^1 row of the dataset shop \(in 1 file\) was set aside/
    );
    expect(quarantineSummary({rows: [], dataset: "shop"})).toBe(
      "Every row of the dataset shop was kept: none was set aside."
    );
    expect(quarantineSummary({rows: [], dataset: null})).toBe("");
  });
});
