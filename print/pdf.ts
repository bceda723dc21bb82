/**
 * Printed kits and exports as PDF (pdf-lib): A4 pages of scanned images and of text. Text is set in DejaVu
 * Sans, embedded and subset, because the PDF standard fonts have no Cyrillic; images go in as JPEG, which
 * pdf-lib embeds without re-encoding (env notes: PNG embedding is two orders of magnitude slower).
 */
import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, type PDFFont, rgb } from 'pdf-lib';

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 36;
const FONT_FILE = process.env.RCOI_PDF_FONT ?? '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

export class PdfBook {
  private constructor(
    readonly doc: PDFDocument,
    private readonly font: PDFFont,
  ) {}

  static async create(title: string): Promise<PdfBook> {
    const doc = await PDFDocument.create();
    doc.registerFontkit(fontkit);
    let bytes: Buffer;
    try {
      bytes = readFileSync(FONT_FILE);
    } catch {
      throw new Error(`PDF font ${FONT_FILE} not found: install fonts-dejavu-core or set RCOI_PDF_FONT`);
    }
    const font = await doc.embedFont(bytes, { subset: true });
    doc.setTitle(title);
    doc.setProducer('rcoi-forms');
    // A fixed date keeps the same kit byte-identical (and its hash meaningful) when it is printed again.
    doc.setCreationDate(new Date(0));
    doc.setModificationDate(new Date(0));
    return new PdfBook(doc, font);
  }

  /** One page: a caption line and the image scaled to fit the rest of the page. */
  async imagePage(jpeg: Uint8Array, caption: string): Promise<void> {
    const image = await this.doc.embedJpg(jpeg);
    const page = this.doc.addPage([A4.width, A4.height]);
    page.drawText(caption, { x: MARGIN, y: A4.height - MARGIN, size: 10, font: this.font });
    const box = { w: A4.width - 2 * MARGIN, h: A4.height - 2 * MARGIN - 16 };
    const scale = Math.min(box.w / image.width, box.h / image.height);
    const w = image.width * scale;
    const h = image.height * scale;
    page.drawImage(image, { x: (A4.width - w) / 2, y: MARGIN + (box.h - h) / 2, width: w, height: h });
  }

  /** A form to fill in by hand, printed at its true size: the image covers the whole A4 page. */
  async formPage(jpeg: Uint8Array): Promise<void> {
    const image = await this.doc.embedJpg(jpeg);
    const page = this.doc.addPage([A4.width, A4.height]);
    page.drawImage(image, { x: 0, y: 0, width: A4.width, height: A4.height });
  }

  /** A heading and lines of text, continued on as many pages as they need. */
  textPages(heading: string, lines: string[]): void {
    const size = 10;
    const leading = 14;
    const perPage = Math.floor((A4.height - 2 * MARGIN - 2 * leading) / leading);
    for (let start = 0; start === 0 || start < lines.length; start += perPage) {
      const page = this.doc.addPage([A4.width, A4.height]);
      page.drawText(heading, { x: MARGIN, y: A4.height - MARGIN, size: 13, font: this.font });
      lines.slice(start, start + perPage).forEach((line, i) => {
        page.drawText(this.fit(line, size), {
          x: MARGIN,
          y: A4.height - MARGIN - 2 * leading - i * leading,
          size,
          font: this.font,
          color: rgb(0, 0, 0),
        });
      });
    }
  }

  /** Cuts a line that would run off the page, visibly. */
  private fit(line: string, size: number): string {
    const room = A4.width - 2 * MARGIN;
    if (this.font.widthOfTextAtSize(line, size) <= room) return line;
    let cut = line;
    while (cut.length > 1 && this.font.widthOfTextAtSize(`${cut}…`, size) > room) cut = cut.slice(0, -1);
    return `${cut}…`;
  }

  async bytes(): Promise<Uint8Array> {
    return this.doc.save();
  }
}
