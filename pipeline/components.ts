/** Connected components: the one segmentation both registration and writing detection need. */
import type { GreyImage } from './image.ts';

export interface Component {
  /** Pixel count. */
  n: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Sums of pixel coordinates, for the centroid. */
  sx: number;
  sy: number;
}

/** Connected components of dark pixels (8-connected) with their bounding boxes and pixel counts. */
export function darkComponents(img: GreyImage, threshold: number): Component[] {
  const { width, height, data } = img;
  const labels = new Int32Array(width * height);
  const parent: number[] = [0];
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  // A pixel takes the label of its first labelled neighbour (left, up-left, up, up-right) and joins the rest.
  const join = (label: number, n: number) => {
    if (!n) return label;
    if (label && n !== label) union(label, n);
    return label || n;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (data[i]! >= threshold) continue;
      let label = x > 0 ? labels[i - 1]! : 0;
      if (y > 0) {
        if (x > 0) label = join(label, labels[i - width - 1]!);
        label = join(label, labels[i - width]!);
        if (x < width - 1) label = join(label, labels[i - width + 1]!);
      }
      if (!label) {
        label = parent.length;
        parent.push(label);
      }
      labels[i] = label;
    }
  }
  // Per root label, in the order each component's first pixel comes in raster order.
  const count = new Int32Array(parent.length);
  const box = new Int32Array(parent.length * 4);
  const sums = new Float64Array(parent.length * 2);
  const order: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = labels[y * width + x]!;
      if (!l) continue;
      const root = find(l);
      if (count[root]!++ === 0) {
        order.push(root);
        box.set([x, y, x, y], root * 4);
      } else {
        const b = root * 4;
        if (x < box[b]!) box[b] = x;
        if (y < box[b + 1]!) box[b + 1] = y;
        if (x > box[b + 2]!) box[b + 2] = x;
        if (y > box[b + 3]!) box[b + 3] = y;
      }
      sums[root * 2]! += x;
      sums[root * 2 + 1]! += y;
    }
  }
  return order.map((root) => ({
    n: count[root]!,
    x0: box[root * 4]!,
    y0: box[root * 4 + 1]!,
    x1: box[root * 4 + 2]!,
    y1: box[root * 4 + 3]!,
    sx: sums[root * 2]!,
    sy: sums[root * 2 + 1]!,
  }));
}
