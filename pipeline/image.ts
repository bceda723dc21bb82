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

/** The page's paper tone, for darkness measures: a high percentile of a sparse sample, floored for black pages. */
export function paperLevel(img: GreyImage): number {
  return Math.max(percentile(img, 0.9, 97), 60);
}

/**
 * Grey level at percentile p (0..1) of the means of the 2x2 pixels at the centre of every `step`-th factor x
 * factor block, in raster order: a paper level with the scanner's pixel noise averaged a little, from few reads.
 */
export function blockCentrePercentile(img: GreyImage, factor: number, p: number, step = 7): number {
  const w = Math.floor(img.width / factor);
  const blocks = w * Math.floor(img.height / factor);
  const off = Math.max(0, (factor >> 1) - 1);
  const src = img.data;
  const stride = img.width;
  const hist = new Uint32Array(256);
  let n = 0;
  for (let b = 0; b < blocks; b += step) {
    const i = (Math.floor(b / w) * factor + off) * stride + (b % w) * factor + off;
    hist[(src[i]! + src[i + 1]! + src[i + stride]! + src[i + stride + 1]! + 2) >> 2]!++;
    n++;
  }
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= p * n) return v;
  }
  return 255;
}

/**
 * A small copy for finding large solid marks (anchors): each output pixel is the mean of its factor x factor
 * block, so a dithered 1-bit mark keeps its darkness (a sample of a few pixels would see its holes).
 */
export function thumbnail(img: GreyImage, factor: number): GreyImage {
  const w = Math.floor(img.width / factor);
  const h = Math.floor(img.height / factor);
  const out = new Uint8Array(w * h);
  const src = img.data;
  const stride = img.width;
  const area = factor * factor;
  // Column sums of a block row; four pixels at a time where rows start on a word, which halves the time.
  const words = stride % 4 === 0 && src.byteOffset % 4 === 0 && factor <= 257 ? stride >> 2 : 0;
  const packed = words > 0 ? new Int32Array(src.buffer, src.byteOffset, (stride >> 2) * img.height) : null;
  const even = new Int32Array(words);
  const odd = new Int32Array(words);
  const column = new Int32Array(stride);
  for (let y = 0; y < h; y++) {
    const top = y * factor;
    if (packed) {
      // Bytes 0 and 2 of each word in `even`, 1 and 3 in `odd`: 16-bit lanes that hold up to 257 pixels' sum.
      for (let j = 0, i = top * words; j < words; j++, i++) {
        const v = packed[i]!;
        even[j] = v & 0xff00ff;
        odd[j] = (v >>> 8) & 0xff00ff;
      }
      for (let r = top + 1; r < top + factor; r++) {
        for (let j = 0, i = r * words; j < words; j++, i++) {
          const v = packed[i]!;
          even[j]! += v & 0xff00ff;
          odd[j]! += (v >>> 8) & 0xff00ff;
        }
      }
      for (let j = 0, k = 0; j < words; j++) {
        const a = even[j]!;
        const b = odd[j]!;
        column[k++] = a & 0xffff;
        column[k++] = b & 0xffff;
        column[k++] = a >>> 16;
        column[k++] = b >>> 16;
      }
    } else {
      column.set(src.subarray(top * stride, (top + 1) * stride));
      for (let r = top + 1; r < top + factor; r++) {
        for (let x = 0, i = r * stride; x < stride; x++, i++) column[x]! += src[i]!;
      }
    }
    for (let x = 0, i = 0, o = y * w; x < w; x++, o++) {
      let sum = 0;
      for (let k = 0; k < factor; k++) sum += column[i++]!;
      out[o] = ((sum + (area >> 1)) / area) | 0;
    }
  }
  return { data: out, width: w, height: h };
}
