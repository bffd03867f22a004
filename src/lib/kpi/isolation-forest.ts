import type {Rng} from "../core/random.js";

interface Node {
  feature?: number;
  split?: number;
  left?: Node;
  right?: Node;
  size: number;
}

/** Average path length of an unsuccessful BST search over n points (the iForest normaliser). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

function grow(rows: number[][], depth: number, limit: number, rng: Rng): Node {
  if (depth >= limit || rows.length <= 1) return {size: rows.length};
  const dims = rows[0]!.length;
  // Pick a feature that varies in this node (a constant one cannot split it).
  for (let tries = 0; tries < dims * 2; tries++) {
    const feature = rng.int(0, dims - 1);
    let lo = Infinity,
      hi = -Infinity;
    for (const r of rows) ((lo = Math.min(lo, r[feature]!)), (hi = Math.max(hi, r[feature]!)));
    if (lo === hi) continue;
    const split = rng.uniform(lo, hi);
    const left = rows.filter((r) => r[feature]! < split);
    const right = rows.filter((r) => r[feature]! >= split);
    return {
      feature,
      split,
      size: rows.length,
      left: grow(left, depth + 1, limit, rng),
      right: grow(right, depth + 1, limit, rng)
    };
  }
  return {size: rows.length};
}

function pathLength(node: Node, row: number[], depth: number): number {
  if (node.feature === undefined) return depth + averagePathLength(node.size);
  return pathLength(row[node.feature]! < node.split! ? node.left! : node.right!, row, depth + 1);
}

/**
 * A seeded Isolation Forest (Liu, Ting & Zhou 2008): `trees` trees grown on random subsamples of
 * `subsample` rows to depth ⌈log2 subsample⌉; a row's score is 2^(−E[path]/c(subsample)), near 1
 * for anomalies. The `contamination` share of highest scores is flagged.
 */
export function isolationForest({
  rows,
  rng,
  trees = 200,
  subsample = 256,
  contamination = 0.05
}: {
  rows: number[][];
  rng: Rng;
  trees?: number;
  subsample?: number;
  contamination?: number;
}): {scores: number[]; threshold: number; flags: boolean[]} {
  const psi = Math.min(subsample, rows.length);
  const limit = Math.ceil(Math.log2(Math.max(2, psi)));
  const forest: Node[] = [];
  for (let t = 0; t < trees; t++) {
    const sample = rng
      .shuffle(rows.map((_, i) => i))
      .slice(0, psi)
      .map((i) => rows[i]!);
    forest.push(grow(sample, 0, limit, rng));
  }
  const c = averagePathLength(psi);
  const scores = rows.map(
    (row) => 2 ** (-(forest.reduce((sum, tree) => sum + pathLength(tree, row, 0), 0) / trees) / c)
  );
  const sorted = scores.slice().sort((a, b) => b - a);
  const threshold = sorted[Math.max(0, Math.ceil(contamination * rows.length) - 1)] ?? 1;
  return {scores, threshold, flags: scores.map((s) => s >= threshold)};
}
