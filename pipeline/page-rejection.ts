/** Why a page cannot be read, and the input limits behind some of the reasons. */

export const DECODE_LIMITS = {
  /** A4 at 600 dpi is 35 MP; anything far beyond is a decompression bomb or not a page. */
  maxPixels: 60_000_000,
  maxPages: 1000,
  /**
   * A page smaller than this cannot hold a readable form. A form of large bubbles needs few pixels: a 260 x
   * 280 px picture of six questions reads.
   */
  minSide: 200,
} as const;

export type RejectReason =
  | 'unreadable-file'
  | 'empty-file'
  | 'unsupported-format'
  | 'corrupt-image'
  | 'too-many-pixels'
  | 'too-many-pages'
  | 'too-small';

export class PageRejection extends Error {
  constructor(
    readonly reason: RejectReason,
    detail: string,
  ) {
    super(detail);
    this.name = 'PageRejection';
  }
}
