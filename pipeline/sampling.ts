/**
 * Sampling the scan in form coordinates: a rectangle of the page (mm) comes back as an upright tile at a chosen
 * resolution, whatever the scan's rotation, perspective or dpi. Only the pixels a field needs are touched,
 * which is why no whole-page warp is ever made.
 */

import type { Rect } from '../forms/definitions.ts';
import type { Matrix3 } from './geometry.ts';
import { type GreyImage, sampleBilinear } from './image.ts';

/** How the content is printed, counter-clockwise: the tile is turned back so that it comes out upright. */
export type TileRotation = 0 | 90 | 180 | 270;

export function sampleRect(
  img: GreyImage,
  transform: Matrix3,
  rect: Rect,
  pxPerMm: number,
  rotation: TileRotation = 0,
): GreyImage {
  const cols = Math.max(1, Math.round(rect.w * pxPerMm));
  const rows = Math.max(1, Math.round(rect.h * pxPerMm));
  const sideways = rotation === 90 || rotation === 270;
  const width = sideways ? rows : cols;
  const height = sideways ? cols : rows;
  const out = new Uint8Array(width * height);
  const step = 1 / pxPerMm;
  // The homography is applied inline: this loop is the hot path of every field read.
  const [a, b, c, d, e, f, g, h, k] = transform;
  for (let ty = 0; ty < height; ty++) {
    for (let tx = 0; tx < width; tx++) {
      let u: number;
      let v: number;
      switch (rotation) {
        case 0:
          u = tx;
          v = ty;
          break;
        case 90:
          u = ty;
          v = rows - 1 - tx;
          break;
        case 180:
          u = cols - 1 - tx;
          v = rows - 1 - ty;
          break;
        case 270:
          u = cols - 1 - ty;
          v = tx;
          break;
      }
      const x = rect.x + (u + 0.5) * step;
      const y = rect.y + (v + 0.5) * step;
      const w = g * x + h * y + k;
      out[ty * width + tx] = sampleBilinear(
        img,
        (a * x + b * y + c) / w - 0.5,
        (d * x + e * y + f) / w - 0.5,
      );
    }
  }
  return { data: out, width, height };
}

export function inflate(r: Rect, dx: number, dy = dx): Rect {
  return { x: r.x - dx, y: r.y - dy, w: r.w + 2 * dx, h: r.h + 2 * dy };
}
