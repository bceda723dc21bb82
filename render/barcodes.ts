import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { prepareZXingModule, writeBarcode } from 'zxing-wasm/writer';
import type { FormDefinition } from '../forms/schema.ts';
import { type BarcodeFormat, ean13CheckDigitValid } from '../pipeline/barcodes.ts';
import { printedDigitsArea, printedDigitsInk } from '../pipeline/printed-digits.ts';
import { type GreyImage, inkPixel, PX_PER_MM } from './form.ts';

export { ean13WithCheckDigit } from '../pipeline/barcodes.ts';

/** A barcode as modules: row-major, 1 = dark, no quiet zone. EAN-13 is 95 x 1 (bars only). */
export interface ModuleMatrix {
  width: number;
  height: number;
  modules: Uint8Array;
}

export interface RenderBarcodeOptions {
  /** QR only: force this symbol version (the EGE sheet uses 10, 57 x 57). Default: the smallest that fits. */
  qrVersion?: number;
}

let writerReady: Promise<unknown> | undefined;

/** zxing-wasm fetches its wasm from a CDN by default, which fails offline: hand it the packaged bytes instead. */
function prepareWriter(): Promise<unknown> {
  if (!writerReady) {
    const wasm = readFileSync(createRequire(import.meta.url).resolve('zxing-wasm/writer/zxing_writer.wasm'));
    const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer;
    writerReady = prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true });
  }
  return writerReady;
}

/**
 * The module matrix of an EAN-13 (13 digits with a valid check digit) or a QR code (error-correction level H,
 * as on the EGE sheet). Throws if the text cannot be encoded.
 */
export async function renderBarcode(
  format: BarcodeFormat,
  text: string,
  opts: RenderBarcodeOptions = {},
): Promise<ModuleMatrix> {
  const { qrVersion } = opts;
  if (format === 'ean13' && !ean13CheckDigitValid(text)) {
    throw new RangeError(`renderBarcode: '${text}' is not 13 digits with a valid EAN-13 check digit`);
  }
  if (
    qrVersion !== undefined &&
    (format !== 'qr' || !Number.isInteger(qrVersion) || qrVersion < 1 || qrVersion > 40)
  ) {
    throw new RangeError(`renderBarcode: qrVersion ${qrVersion} is not a QR version 1..40`);
  }
  await prepareWriter();
  const options = format === 'qr' ? `ecLevel=H${qrVersion === undefined ? '' : `,version=${qrVersion}`}` : '';
  const result = await writeBarcode(text, {
    format: format === 'qr' ? 'QRCode' : 'EAN13',
    options,
    scale: 1,
    addQuietZones: false,
    addHRT: false,
  });
  if (result.error !== '')
    throw new Error(`renderBarcode: zxing could not encode '${text}' as ${format}: ${result.error}`);
  // `symbol` is one byte per module whatever the scale: 0 = dark, 255 = light.
  const { data, width, height } = result.symbol;
  if (format === 'qr') {
    const modules = new Uint8Array(width * height);
    for (let i = 0; i < modules.length; i++) modules[i] = data[i] === 0 ? 1 : 0;
    return { width, height, modules };
  }
  if (width !== 95)
    throw new Error(`renderBarcode: zxing produced an EAN-13 of ${width} modules, expected 95`);
  // EAN-13 comes as a 2-D image with the guard bars drawn longer; a bar is any column with ink.
  const modules = new Uint8Array(width);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) if (data[row * width + col] === 0) modules[col] = 1;
  }
  return { width, height: 1, modules };
}

/** Short but exact enough for millimetre user units: 0.1 µm. */
function num(n: number): string {
  return String(Math.round(n * 1e4) / 1e4);
}

/**
 * SVG markup (one black <path>) drawing the matrix into the rectangle x, y, w, h (user units), which is the
 * full ink extent after rotation. `rotationDeg` is counter-clockwise as seen on the page: at 90 the matrix's
 * left edge lies along the bottom, so an EAN-13 gets horizontal bars with the start guard at the bottom, as the
 * vertical EAN-13 of the EGE sheet. A 1-row matrix (EAN-13) stretches each bar over the whole bar length.
 */
export function barcodeSvg(
  matrix: ModuleMatrix,
  x: number,
  y: number,
  w: number,
  h: number,
  rotationDeg: 0 | 90 | 180 | 270,
): string {
  const { width: cols, height: rows, modules } = matrix;
  if (modules.length !== cols * rows)
    throw new RangeError(`barcodeSvg: ${modules.length} modules for ${cols}x${rows}`);
  if (!(w > 0 && h > 0)) throw new RangeError(`barcodeSvg: empty rectangle ${w}x${h}`);
  // Module size along the page axes: the matrix's columns run along x at 0/180 and along y at 90/270.
  const turned = rotationDeg === 90 || rotationDeg === 270;
  const du = turned ? h / cols : w / cols;
  const dv = turned ? w / rows : h / rows;
  let d = '';
  for (let v = 0; v < rows; v++) {
    for (let u = 0; u < cols; u++) {
      if (modules[v * cols + u] !== 1) continue;
      // One subpath per horizontal run of dark modules: fewer nodes, and no seams between neighbours.
      const u0 = u;
      while (u + 1 < cols && modules[v * cols + u + 1] === 1) u++;
      const u1 = u + 1;
      let left: number;
      let top: number;
      let right: number;
      let bottom: number;
      switch (rotationDeg) {
        case 0:
          [left, right, top, bottom] = [x + u0 * du, x + u1 * du, y + v * dv, y + (v + 1) * dv];
          break;
        case 90:
          [left, right, top, bottom] = [x + v * dv, x + (v + 1) * dv, y + h - u1 * du, y + h - u0 * du];
          break;
        case 180:
          [left, right, top, bottom] = [
            x + w - u1 * du,
            x + w - u0 * du,
            y + h - (v + 1) * dv,
            y + h - v * dv,
          ];
          break;
        case 270:
          [left, right, top, bottom] = [x + w - (v + 1) * dv, x + w - v * dv, y + u0 * du, y + u1 * du];
          break;
      }
      d += `M${num(left)} ${num(top)}H${num(right)}V${num(bottom)}H${num(left)}Z`;
    }
  }
  return d === '' ? '' : `<path fill="#000" d="${d}"/>`;
}

/** The digits under an EAN-13 (pipeline/printed-digits.ts), turned from the symbol's frame onto the page. */
function drawPrintedDigits(
  page: GreyImage,
  b: FormDefinition['barcodes'][number],
  text: string,
  pxPerMm: number,
): void {
  const area = printedDigitsArea(b);
  const { width, height, ink } = printedDigitsInk(b, text, pxPerMm);
  for (let ty = 0; ty < height; ty++) {
    for (let tx = 0; tx < width; tx++) {
      const a = ink[ty * width + tx] as number;
      if (a <= 0) continue;
      const u = (tx + 0.5) / pxPerMm;
      const v = (ty + 0.5) / pxPerMm;
      const [x, y] =
        b.rotation === 90
          ? [area.x + v, area.y + area.h - u]
          : b.rotation === 180
            ? [area.x + area.w - u, area.y + area.h - v]
            : b.rotation === 270
              ? [area.x + area.w - v, area.y + u]
              : [area.x + u, area.y + v];
      inkPixel(page, Math.floor(x * pxPerMm), Math.floor(y * pxPerMm), 0, a);
    }
  }
}

/**
 * Draws each code at its place: a small SVG per symbol, rendered by sharp, then laid on the page as ink; an
 * EAN-13 gets its digits printed under it (`printed` overrides them by role, as a misprint would).
 */
export async function drawBarcodes(
  page: GreyImage,
  def: FormDefinition,
  texts: Map<string, string>,
  printed: Map<string, string> = new Map(),
  /** The page's scale: the renderer's 300 dpi, or a scan's (bench:season stamps codes on 200-dpi pages). */
  pxPerMm = PX_PER_MM,
): Promise<void> {
  for (const b of def.barcodes) {
    const text = texts.get(b.role);
    if (!text) continue;
    if (b.symbology === 'ean13') drawPrintedDigits(page, b, printed.get(b.role) ?? text, pxPerMm);
    const m = await renderBarcode(b.symbology, text, b.symbology === 'qr' ? { qrVersion: 10 } : {});
    // Whole-pixel canvas; the symbol keeps its sub-pixel place inside it.
    const left = Math.floor(b.x * pxPerMm);
    const top = Math.floor(b.y * pxPerMm);
    const width = Math.ceil((b.x + b.w) * pxPerMm) - left;
    const height = Math.ceil((b.y + b.h) * pxPerMm) - top;
    const ox = left / pxPerMm;
    const oy = top / pxPerMm;
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="${ox} ${oy} ${width / pxPerMm} ${height / pxPerMm}"><rect x="${ox}" y="${oy}" width="100%" height="100%" fill="#fff"/>` +
      `${barcodeSvg(m, b.x, b.y, b.w, b.h, b.rotation)}</svg>`;
    const tile = await sharp(Buffer.from(svg)).toColourspace('b-w').raw().toBuffer();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = tile[y * width + x]!;
        if (v < 255) inkPixel(page, left + x, top + y, 0, (255 - v) / 255);
      }
    }
  }
}
