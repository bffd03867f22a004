type Schema = {name: string; type: string}[];

/** Two schemas side by side, column by column, marking the differences. */
export function formatSchemaDiff({
  expected,
  actual,
  expectedLabel = "topic has",
  actualLabel = "this job wrote"
}: {
  expected: Schema;
  actual: Schema;
  expectedLabel?: string;
  actualLabel?: string;
}): string {
  const names = [...new Set([...expected.map((c) => c.name), ...actual.map((c) => c.name)])];
  const rows = names.map((name) => {
    const e = expected.find((c) => c.name === name)?.type ?? "—";
    const a = actual.find((c) => c.name === name)?.type ?? "—";
    return [e === a ? " " : "≠", name, e, a];
  });
  const widths = [
    1,
    Math.max(6, ...names.map((n) => n.length)),
    Math.max(expectedLabel.length, ...rows.map((r) => r[2]!.length))
  ];
  const line = (r: string[]) =>
    `  ${r[0]!.padEnd(widths[0]!)} ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}`;
  return [line(["", "column", expectedLabel, actualLabel]), ...rows.map(line)].join("\n");
}
