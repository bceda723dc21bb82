/**
 * Checking protocols as printed: the protocol form (forms/definitions/ege-protocol.json) drawn by the same
 * renderer the synthetic scans come from, with the protocol's sheet number as its barcode, and on each line the
 * work code and, under each cell, the criterion whose score goes there. The recogniser reads the scan back
 * by those same definitions.
 */

import sharp from 'sharp';
import { type PrintedProtocol, scoreField } from '../domain/protocols.ts';
import { expandForm } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { drawBarcodes } from '../render/barcodes.ts';
import { copyImage, PX_PER_MM, renderBlankForm } from '../render/form.ts';
import { PdfBook } from './pdf.ts';

export const PROTOCOL_FORM = 'ege-protocol';

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

const text = (x: number, y: number, size: number, s: string, anchor = 'start') =>
  `<text x="${x * PX_PER_MM}" y="${y * PX_PER_MM}" font-family="DejaVu Sans" font-size="${size * PX_PER_MM}" fill="black" text-anchor="${anchor}">${escapeXml(s)}</text>`;

/** The protocol as a clean 300-dpi page, ready to print (or, in tests, to fill in by hand). */
export async function protocolPage(
  def: FormDefinition,
  p: PrintedProtocol,
  caption: string,
): Promise<GreyImage> {
  const form = expandForm(def);
  const page = copyImage(await renderBlankForm(form));
  await drawBarcodes(page, def, new Map([['sheet-number', p.sheetNumber]]));
  const parts: string[] = [];
  const code = form.byName.get('expert_code');
  if (code?.kind === 'cells') {
    const last = code.rects[code.rects.length - 1]!;
    parts.push(text(last.x + last.w + 3, last.y + last.h - 1.5, 2.4, `← код эксперта: ${p.expertCode}`));
  }
  for (const l of p.lines) {
    l.criteria.forEach((criterion, i) => {
      const cell = form.byName.get(scoreField(l.line, i + 1));
      if (cell?.kind !== 'cells') return;
      const r = cell.rects[0]!;
      if (i === 0) parts.push(text(35, r.y + r.h - 1.5, 2.6, l.workCode));
      parts.push(text(r.x + r.w / 2, r.y + r.h + 2.6, 1.9, criterion, 'middle'));
    });
  }
  parts.push(text(105, 293, 2.2, caption, 'middle'));
  const { width, height } = page;
  const overlay = await sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`,
    ),
  )
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  for (let i = 0; i < page.data.length; i++) if (overlay[i]! < page.data[i]!) page.data[i] = overlay[i]!;
  return page;
}

/** Every protocol of a print run, one A4 page each. */
export async function protocolsPdf(
  forms: FormDefinition[],
  protocols: PrintedProtocol[],
): Promise<Uint8Array> {
  const def = forms.find((f) => f.id === PROTOCOL_FORM);
  if (!def) throw new Error(`the ${PROTOCOL_FORM} form definition is not loaded`);
  const book = await PdfBook.create('Бланки-протоколы проверки');
  for (const [i, p] of protocols.entries()) {
    const page = await protocolPage(
      def,
      p,
      `Протокол ${p.sheetNumber} · ${p.examId} · лист ${i + 1} из ${protocols.length}`,
    );
    const jpeg = await sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    await book.formPage(new Uint8Array(jpeg));
  }
  return book.bytes();
}
