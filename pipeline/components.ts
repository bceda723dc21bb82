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
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (data[i]! >= threshold) continue;
      let label = 0;
      const neighbours = [
        x > 0 ? labels[i - 1]! : 0,
        y > 0 && x > 0 ? labels[i - width - 1]! : 0,
        y > 0 ? labels[i - width]! : 0,
        y > 0 && x < width - 1 ? labels[i - width + 1]! : 0,
      ];
      for (const n of neighbours) {
        if (!n) continue;
        if (!label) label = n;
        else if (n !== label) union(label, n);
      }
      if (!label) {
        label = parent.length;
        parent.push(label);
      }
      labels[i] = label;
    }
  }
  const stats = new Map<number, Component>();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = labels[y * width + x]!;
      if (!l) continue;
      const root = find(l);
      const s = stats.get(root);
      if (!s) stats.set(root, { n: 1, x0: x, y0: y, x1: x, y1: y, sx: x, sy: y });
      else {
        s.n++;
        s.sx += x;
        s.sy += y;
        if (x < s.x0) s.x0 = x;
        if (x > s.x1) s.x1 = x;
        if (y < s.y0) s.y0 = y;
        if (y > s.y1) s.y1 = y;
      }
    }
  }
  return [...stats.values()];
}
