/**
 * A scanner's 1-bit mode: grey tones turned into black and white dot patterns (Floyd-Steinberg), written
 * as the files such scanners write (1-bit palette PNG, CCITT G4 TIFF).
 */
import sharp from 'sharp';

export function ditherToBits(grey: Uint8Array, width: number): Uint8Array {
  const err = Float32Array.from(grey);
  const out = new Uint8Array(grey.length);
  for (let i = 0; i < grey.length; i++) {
    const x = i % width;
    out[i] = err[i]! < 128 ? 0 : 255;
    const e = err[i]! - out[i]!;
    if (x + 1 < width) err[i + 1]! += (e * 7) / 16;
    if (i + width < grey.length) {
      if (x > 0) err[i + width - 1]! += (e * 3) / 16;
      err[i + width]! += (e * 5) / 16;
      if (x + 1 < width) err[i + width + 1]! += e / 16;
    }
  }
  return out;
}

/** An image file as its dithered 1-bit page: an 8-bit grey PNG of the dots, and the 1-bit files of it. */
export async function bilevelFiles(image: Uint8Array): Promise<{ grey: Buffer; png: Buffer; g4: Buffer }> {
  const { data, info } = await sharp(image).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const bits = sharp(Buffer.from(ditherToBits(data, info.width)), {
    raw: { width: info.width, height: info.height, channels: 1 },
  }).toColourspace('b-w');
  return {
    grey: await bits.clone().png().toBuffer(),
    png: await bits.clone().png({ palette: true, colours: 2 }).toBuffer(),
    g4: await bits.clone().tiff({ compression: 'ccittfax4', bitdepth: 1 }).toBuffer(),
  };
}
