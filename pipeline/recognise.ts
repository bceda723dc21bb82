/**
 * The recognition pipeline: a decoded page in, a RecognisedSheet out. Pure apart from reading the shipped
 * model and wasm: no queues, no storage. Stages: find anchors → register against each candidate form → read
 * barcodes (they identify the form) → read the fields → derive → decide the sheet's status.
 */

import { type SubjectAnswers, shippedAnswers } from '../forms/answer-types.ts';
import { type ExpandedForm, expandForm } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { answerTypeOfField } from './answers.ts';
import { ean13CheckDigitValid } from './barcodes.ts';
import { type AlignedBlocks, alignBubbleBlocks } from './bubble-align.ts';
import {
  bubbleThresholds,
  decideBubbles,
  markedRects,
  measureSheetBubbles,
  sheetBubbleStats,
} from './bubbles.ts';
import { fieldAccept, readCells } from './cells.ts';
import { applyDerivations } from './derive.ts';
import { checkFeatures } from './features.ts';
import type { Matrix3 } from './geometry.ts';
import { type GreyImage, paperLevel } from './image.ts';
import {
  findAnchorCandidates,
  type Registration,
  type RegistrationFailure,
  registerForm,
} from './register.ts';
import {
  type BarcodeDoubt,
  type BlockFit,
  doubtful,
  type RecognisedField,
  type RecognisedSheet,
  type StageTimes,
} from './result.ts';
import { matchesForm, readSheetBarcodes, type SheetBarcodes } from './sheet-barcodes.ts';
import { turnsByBlocks, wayUp } from './way-up.ts';
import { readWriting } from './writing.ts';

function timer() {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const ms = now - last;
    last = now;
    return Math.round(ms * 10) / 10;
  };
}

interface Fit {
  def: FormDefinition;
  registration: Registration;
  share: number;
}

function rejected(
  reason: RecognisedSheet['reason'] & string,
  detail: string,
  ms: StageTimes,
  form: string | null = null,
): RecognisedSheet {
  return { form, status: 'rejected', reason, detail, barcodes: [], doubt: [], fields: {}, ms };
}

/** Registers the page against every candidate form; best first (share of solid anchors found, then residual). */
function fitForms(img: GreyImage, forms: FormDefinition[]): { fits: Fit[]; failure?: RegistrationFailure } {
  const byAnchors = forms.filter((f) => f.registration === 'anchors');
  const set = byAnchors.length > 0 ? findAnchorCandidates(img, byAnchors) : null;
  const fits: Fit[] = [];
  let failure: RegistrationFailure | undefined;
  for (const def of forms) {
    // A sheet's outline or the image frame fits any page: such a form is read only when it is the one named.
    if (def.registration !== 'anchors' && forms.length > 1) continue;
    const r = registerForm(img, def, set);
    if (r.ok) {
      // A form registered by its outline or frame has no anchors to miss: the whole sheet was found.
      const solid = def.anchors.filter((a) => a.solid).length;
      const share = def.registration === 'anchors' ? r.registration.anchorsUsed.length / solid : 1;
      fits.push({ def, registration: r.registration, share });
    } else if (!failure || (r.failure.matched ?? 0) > (failure.matched ?? 0)) failure = r.failure;
  }
  fits.sort(
    (a, b) =>
      b.share - a.share ||
      b.registration.anchorsUsed.length - a.registration.anchorsUsed.length ||
      a.registration.residualMm - b.registration.residualMm,
  );
  return failure ? { fits, failure } : { fits };
}

/**
 * Among forms whose marks all fit the page as well as the best one's (variants of one design), the one whose
 * declared features the page shows; a form that declares none cannot be ruled out. Two left is a guess the
 * pipeline does not make: the page is rejected, and `--form` (or a feature in the definitions) settles it.
 */
function tellApart(
  img: GreyImage,
  fits: Fit[],
  best: Fit,
): { ok: true; fit: Fit } | { ok: false; detail: string } {
  const used = best.registration.anchorsUsed.length;
  const tied = fits.filter((f) => f.share === 1 && f.registration.anchorsUsed.length === used);
  if (tied.length < 2) return { ok: true, fit: best };
  const paper = paperLevel(img);
  const left = tied.filter((f) => checkFeatures(img, f.registration.transform, f.def, paper) !== 'fail');
  if (left.length === 1) return { ok: true, fit: left[0]! };
  const ids = (left.length > 0 ? left : tied).map((f) => f.def.id).join(', ');
  return {
    ok: false,
    detail:
      `the marks fit ${ids} alike, no barcode names one and ` +
      `${left.length > 0 ? 'no declared feature rules the others out' : 'the page shows none of their declared features'}; ` +
      'give the form (--form) or declare features that tell them apart',
  };
}

function readLink(field: RecognisedField): RecognisedField {
  if (field.value === '' || field.doubt.length > 0) return field;
  if (field.value.length !== 13) return doubtful(field, 'incomplete-link');
  if (!ean13CheckDigitValid(field.value)) {
    return doubtful(field, 'link-check-digit');
  }
  return field;
}

function readFields(
  img: GreyImage,
  form: ExpandedForm,
  { reg, aligned }: { reg: Registration; aligned?: AlignedBlocks },
  paper: number,
  answers: readonly SubjectAnswers[],
  ms: StageTimes,
): { fields: Record<string, RecognisedField>; blocks: BlockFit[] } {
  const t = reg.transform;
  const fields: Record<string, RecognisedField> = {};
  const lap = timer();
  const def = form.definition;
  const sheet = measureSheetBubbles(
    img,
    t,
    def,
    aligned ??
      alignBubbleBlocks(
        img,
        t,
        def,
        form.fields.filter((f) => f.kind === 'bubbles'),
        paper,
      ),
    paper,
  );
  const thresholds = bubbleThresholds(def);
  const stats = sheetBubbleStats(sheet.fills, thresholds, sheet.rings);
  const marked = markedRects(sheet.fields, sheet.measures, stats);
  sheet.fields.forEach((f, i) => {
    const read = decideBubbles(f, sheet.measures[i] ?? [], stats, thresholds, marked);
    // A block whose print was not found where it should be: whatever its bubbles read, a person looks.
    fields[f.name] = sheet.poor.has(f.name) ? doubtful(read, 'layout-misfit') : read;
  });
  ms.bubbles = lap();
  // The subject first: its answers are read under their tasks' types (a replacement row's task before its
  // answer, as the definition lists them).
  const subjectField = form.byName.get(def.answers?.subjectField ?? '');
  if (subjectField?.kind === 'cells')
    fields[subjectField.name] = readCells(img, t, subjectField, paper, fieldAccept(def, subjectField)).field;
  for (const f of form.fields) {
    if (f === subjectField) continue;
    if (f.kind === 'cells') {
      const type = answerTypeOfField(form, f.name, fields, answers);
      fields[f.name] = readCells(img, t, f, paper, fieldAccept(def, f), type).field;
    } else if (f.kind === 'link')
      fields[f.name] = readLink(readCells(img, t, f, paper, fieldAccept(def, f)).field);
  }
  ms.characters = lap();
  for (const f of form.fields) if (f.kind === 'writing') fields[f.name] = readWriting(img, t, f, paper);
  ms.writing = lap();
  return { fields, blocks: sheet.fits };
}

export interface RecogniseOptions {
  /** Candidate forms; the page is identified among them. */
  forms: FormDefinition[];
  /** The season's answer types per subject; default: the newest year shipped (`shippedAnswers`). */
  answers?: readonly SubjectAnswers[];
}

export async function recognisePage(img: GreyImage, opts: RecogniseOptions): Promise<RecognisedSheet> {
  const started = performance.now();
  const lap = timer();
  const ms: StageTimes = { total: 0 };
  const finish = (sheet: RecognisedSheet) => {
    sheet.ms.total = Math.round((performance.now() - started) * 10) / 10;
    return sheet;
  };

  const { fits, failure } = fitForms(img, opts.forms);
  ms.register = lap();
  if (fits.length === 0) {
    const f = failure ?? { reason: 'anchors-not-found', detail: 'no candidate form' };
    return finish(rejected(f.reason, f.detail, ms));
  }

  // Barcodes identify the form among those whose anchors fit; the layout alone decides only as a fallback.
  let chosen: Fit | undefined;
  let codes: SheetBarcodes | undefined;
  const byLayout = fits[0]!;
  for (const fit of fits) {
    const read = await readSheetBarcodes(img, fit.registration.transform, fit.def);
    if (matchesForm(fit.def, read.sheetNumber)) {
      chosen = fit;
      codes = read;
      break;
    }
    if (fit === byLayout) codes = read;
  }
  const sheetDoubt: BarcodeDoubt[] = [];
  if (!chosen) {
    chosen = byLayout;
    codes ??= await readSheetBarcodes(img, chosen.registration.transform, chosen.def);
    ms.barcodes = lap();
    // A trusted sheet number that no candidate form claims: the page is another kind of sheet whose anchors
    // happen to fit. Reading it with this layout would be a guess.
    if (codes.sheetNumber !== undefined) {
      return finish(
        rejected(
          'wrong-form',
          `sheet number ${codes.sheetNumber} belongs to none of: ${opts.forms.map((f) => f.id).join(', ')}`,
          ms,
        ),
      );
    }
    // Without a barcode, only a complete anchor match identifies the form: four of five corners fit many of
    // the designed forms (and fit upside down as well as upright).
    if (chosen.share < 1) {
      const used = chosen.registration.anchorsUsed.length;
      const solid = Math.round(used / chosen.share);
      return finish(
        rejected(
          'anchors-not-found',
          `${used} of ${solid} anchors of ${chosen.def.id} and no barcode names the form`,
          ms,
        ),
      );
    }
    const told = tellApart(img, fits, chosen);
    if (!told.ok) return finish(rejected('ambiguous-form', told.detail, ms));
    if (told.fit !== chosen) {
      chosen = told.fit;
      codes = await readSheetBarcodes(img, chosen.registration.transform, chosen.def);
    }
    if (chosen.def.barcodes.length > 0) sheetDoubt.push('form-identified-by-layout');
  }
  ms.barcodes ??= lap();
  const form = expandForm(chosen.def);
  const paper = paperLevel(img);
  const turns = turnsByBlocks(chosen.def);
  const way = turns ? wayUp(img, form, chosen.registration, paper) : { reg: chosen.registration };
  // Which way is up is registration's too: on corner marks its block alignments are most of a page's time.
  if (turns) ms.register = (ms.register ?? 0) + lap();
  if ('reason' in way) return finish(rejected(way.reason, way.detail, ms, chosen.def.id));
  const { reg } = way;
  const read = readFields(img, form, way, paper, opts.answers ?? shippedAnswers(), ms);
  const fields = applyDerivations(form, read.fields);
  lap();

  const doubt = [...new Set([...(codes?.doubt ?? []), ...sheetDoubt])];
  const anyFieldDoubt = Object.values(fields).some((f) => f.doubt.length > 0);
  return finish({
    form: chosen.def.id,
    status: doubt.length > 0 || anyFieldDoubt ? 'needs-verification' : 'recognised',
    ...(codes?.sheetNumber !== undefined && { sheetNumber: codes.sheetNumber }),
    barcodes: codes?.barcodes ?? [],
    doubt,
    registration: {
      orientation: reg.orientation,
      residualMm: Math.round(reg.residualMm * 1000) / 1000,
      model: reg.model,
      dpi: Math.round(reg.dpi),
      transform: reg.transform.map((v) => Number(v.toPrecision(9))) as Matrix3,
      ...(read.blocks.length > 0 && { blocks: read.blocks }),
    },
    fields,
    ms,
  });
}
