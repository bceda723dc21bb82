/** What recognition says about one page. Every value carries a confidence and the reasons it is doubtful. */
import type { Matrix3 } from './geometry.ts';
import type { RejectReason } from './page-rejection.ts';
import type { RegistrationFailureReason } from './register.ts';

/** Why a value goes to a verifier. Explicit reasons, after VxSuite's adjudication reasons. */
export type DoubtReason =
  // bubbles
  | 'marginal-mark'
  | 'multiple-marks'
  | 'erasure-or-faint-mark'
  | 'ink-around-mark'
  | 'layout-misfit'
  // characters
  | 'low-confidence-character'
  | 'ambiguous-script'
  | 'gap-in-answer'
  | 'written-across-cells'
  /** The answer does not read as its task's type (a letter in a number, a comma where none can stand). */
  | 'not-of-type'
  /** Only commas or minus signs, no digit or letter: a speck or a stray stroke is more likely than an answer. */
  | 'marks-only'
  // writing areas
  | 'uncertain-writing'
  // link fields
  | 'link-check-digit'
  | 'incomplete-link'
  // derived fields and cross-checks
  | 'replacement-unreadable'
  | 'replacement-conflict'
  | 'replacement-count-mismatch';

/** Where a bubble block's print was found near its place (pipeline/bubble-align.ts). */
export interface BlockFit {
  block: string;
  /** The best offset found, page mm (applied only when the fit is good). */
  offsetMm: [number, number];
  /** Mean darkness of its bubbles above the paper around them, at that offset. */
  contrast: number;
  /** Found at its window's edge: its place may lie beyond, and the page's map is that far off there. */
  atEdge: boolean;
  good: boolean;
}

export type BarcodeDoubt =
  | 'barcode-disagreement'
  | 'barcode-missing'
  | 'barcode-unconfirmed'
  | 'barcode-pattern'
  | 'form-identified-by-layout';

/** Which character of a cells field is doubtful and why, in words for the verifier. */
export interface CellDoubt {
  /** 1 for the field's first cell. */
  cell: number;
  reason: DoubtReason;
  detail: string;
}

/** The most confidence a value with a doubt is given: a doubt outweighs how sure the reading was. */
export const DOUBTED_MAX_CONFIDENCE = 0.5;

export interface RecognisedField {
  /** '' when empty; bubbles: the selected labels in order; writing: 'written' or ''. */
  value: string;
  /**
   * 0..1; values with doubts are never above DOUBTED_MAX_CONFIDENCE. Cells fields: the whole answer's
   * probability.
   */
  confidence: number;
  doubt: DoubtReason[];
  /** Cells fields: the doubtful characters, when the doubt lies in characters. */
  cells?: CellDoubt[];
}

/** The field with one more doubt, and its confidence no higher than a doubted value's. */
export function doubtful(field: RecognisedField, reason: DoubtReason): RecognisedField {
  return {
    ...field,
    confidence: Math.min(field.confidence, DOUBTED_MAX_CONFIDENCE),
    doubt: [...new Set([...field.doubt, reason])],
  };
}

export interface RecognisedBarcode {
  role: string;
  format: 'ean13' | 'qr';
  text: string;
  /** Read from the digits printed under the symbol, its bars being undecodable. */
  from?: 'printed-digits';
}

export type SheetStatus = 'recognised' | 'needs-verification' | 'rejected';

/** Why a page was rejected: it could not be decoded, registered, or identified, or the code failed. */
export type RejectionReason =
  | RejectReason
  | RegistrationFailureReason
  | 'wrong-form'
  | 'ambiguous-form'
  | 'orientation-unknown'
  | 'internal-error';

export interface StageTimes {
  total: number;
  decode?: number;
  register?: number;
  barcodes?: number;
  bubbles?: number;
  characters?: number;
  writing?: number;
}

export interface RecognisedSheet {
  /** The form definition's id, or null when the form was not identified. */
  form: string | null;
  status: SheetStatus;
  reason?: RejectionReason;
  /** Human-readable detail of a rejection. */
  detail?: string;
  /** Sheet number, when the barcodes agree on one. */
  sheetNumber?: string;
  barcodes: RecognisedBarcode[];
  /** Sheet-level doubts (barcodes, identification). */
  doubt: BarcodeDoubt[];
  /** How the page was registered; `transform` maps page mm to image px (row-major 3x3), for crops downstream. */
  registration?: {
    orientation: number;
    residualMm: number;
    model: string;
    dpi: number;
    transform: Matrix3;
    /** Each bubble block's searched offset, on a form that declares `bubbleAlign`. */
    blocks?: BlockFit[];
  };
  fields: Record<string, RecognisedField>;
  ms: StageTimes;
}

/** The verification task for a page's doubtful sheet number; not a form field name, so it cannot clash with one. */
export const SHEET_NUMBER_TASK = '@sheet-number';
