/** The pipeline's one raster type: 8-bit greyscale, row-major, 255 = paper. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Bilinear sample; outside the image reads as paper. */
export function sampleBilinear(img: GreyImage, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  if (x0 < 0 || y0 < 0 || x0 >= img.width - 1 || y0 >= img.height - 1) return 255;
  const fx = x - x0;
  const fy = y - y0;
  const i = y0 * img.width + x0;
  const d = img.data;
  const top = d[i]! + (d[i + 1]! - d[i]!) * fx;
  const bottom = d[i + img.width]! + (d[i + img.width + 1]! - d[i + img.width]!) * fx;
  return top + (bottom - top) * fy;
}

/** Grey level at the given percentile (0..1) of a histogram of every `step`-th pixel. */
export function percentile(img: GreyImage, p: number, step = 7): number {
  const hist = new Uint32Array(256);
  let n = 0;
  for (let i = 0; i < img.data.length; i += step) {
    hist[img.data[i]!]!++;
    n++;
  }
  const target = p * n;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= target) return v;
  }
  return 255;
}

/** Area-average downscale by an integer factor: cheap, and keeps thin print from aliasing away. */
export function downscale(img: GreyImage, factor: number): GreyImage {
  const w = Math.floor(img.width / factor);
  const h = Math.floor(img.height / factor);
  const out = new Uint8Array(w * h);
  const sums = new Uint32Array(w);
  const area = factor * factor;
  for (let y = 0; y < h; y++) {
    sums.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      const row = (y * factor + dy) * img.width;
      for (let x = 0; x < w; x++) {
        let s = 0;
        const base = row + x * factor;
        for (let dx = 0; dx < factor; dx++) s += img.data[base + dx]!;
        sums[x]! += s;
      }
    }
    for (let x = 0; x < w; x++) out[y * w + x] = Math.round(sums[x]! / area);
  }
  return { data: out, width: w, height: h };
}
