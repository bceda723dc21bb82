/** Scanned-PDF pages built by hand for tests: an image XObject drawn over the whole page, as scanners write. */
import {
  concatTransformationMatrix,
  drawObject,
  type PDFDocument,
  type PDFPage,
  type PDFRawStream,
  popGraphicsState,
  pushGraphicsState,
} from 'pdf-lib';

export type StreamDict = NonNullable<Parameters<PDFDocument['context']['stream']>[1]>;

/** An image XObject stream with the given encoded data and dictionary entries. */
export function imageStream(doc: PDFDocument, data: Uint8Array, dict: StreamDict): PDFRawStream {
  return doc.context.stream(data, { Type: 'XObject', Subtype: 'Image', ...dict });
}

/** A page of the image's size that draws the XObject over the whole page, as scanners write them. */
export function drawPage(doc: PDFDocument, stream: PDFRawStream, width: number, height: number): PDFPage {
  const page = doc.addPage([width, height]);
  const name = page.node.newXObject('Im', doc.context.register(stream));
  page.pushOperators(
    pushGraphicsState(),
    concatTransformationMatrix(width, 0, 0, height, 0, 0),
    drawObject(name),
    popGraphicsState(),
  );
  return page;
}
