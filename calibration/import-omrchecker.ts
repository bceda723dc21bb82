/**
 * OMRChecker's layout files (template.json, github.com/Udayraj123/OMRChecker) as form definitions of ours.
 *
 * A template's coordinates are pixels of the image OMRChecker has already pre-processed: cut to the sheet's
 * outline (CropPage), or the image as it came, or the quadrilateral of its four markers' centres
 * (CropOnMarkers), or of the outer edges' ends of its two lines of dashes (CropOnMarkers of TWO_LINES),
 * stretched to the template's size each way. Each maps onto a registration of ours, declared as data: the
 * sheet's edges, the image frame, corner marks (bullseyes centred on the template's corners, on a page widened
 * by a marker's size each side) or timing tracks (their outer edges along the page's sides). Pre-processors
 * that move the page otherwise (feature alignment, rotation without markers) are refused by name with the
 * reason; those that only filter the image (blur, levels, contrast) are not needed and are dropped.
 *
 * Template pixels become millimetres at one scale that puts the page's long side at 297 mm (A4): the real
 * size is not in the template, and registration tolerances are in millimetres of a real page.
 */
import * as z from 'zod';
import { type FormDefinition, type FormDefinitionInput, FormDefinitionSchema } from '../forms/schema.ts';

/** OMRChecker's built-in bubble field types (src/constants.py). */
const BUILTIN_TYPES: Record<string, FieldType> = {
  QTYPE_INT: { bubbleValues: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], direction: 'vertical' },
  QTYPE_INT_FROM_1: {
    bubbleValues: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'],
    direction: 'vertical',
  },
  QTYPE_MCQ4: { bubbleValues: ['A', 'B', 'C', 'D'], direction: 'horizontal' },
  QTYPE_MCQ5: { bubbleValues: ['A', 'B', 'C', 'D', 'E'], direction: 'horizontal' },
};

/**
 * How an imported form's bubbles are read: no blank scans exist, so each sheet's own bubbles give their empty
 * levels; a field block is found within a few millimetres of where the template puts it (photos and crops
 * differ from the image the template was drawn on). Thresholds are in darkness above the empty level.
 */
export const SHEET_READING = {
  bubbleEmpty: 'sheet',
  bubbleAlign: { window: 4, minContrast: 0.05 },
  thresholds: {
    bubbles: {
      minThreshold: 0.12,
      maxThreshold: 0.5,
      defaultThreshold: 0.25,
      marginal: 0.07,
      residue: 0.06,
      spill: 0.2,
    },
  },
} as const satisfies Partial<FormDefinitionInput>;

/** Pre-processors that only change pixel values: our reading measures darkness against the page's own paper. */
const FILTERS = new Set(['GaussianBlur', 'MedianBlur', 'Levels', 'Contrast']);

const pair = z.tuple([z.number(), z.number()]);
const FieldTypeSchema = z.object({
  bubbleValues: z.array(z.string().min(1)).min(1),
  direction: z.enum(['horizontal', 'vertical']),
});
type FieldType = z.infer<typeof FieldTypeSchema>;

const TemplateSchema = z.object({
  templateDimensions: pair.optional(),
  /** The older name of templateDimensions. */
  pageDimensions: pair.optional(),
  bubbleDimensions: pair,
  /** Height and width the image is resized to before pre-processing (markers are sized in its pixels). */
  processingImageShape: pair.optional(),
  emptyValue: z.string().default(''),
  customLabels: z.record(z.string(), z.array(z.string())).default({}),
  customBubbleFieldTypes: z.record(z.string(), FieldTypeSchema).default({}),
  preProcessors: z
    .array(z.object({ name: z.string(), options: z.record(z.string(), z.unknown()).default({}) }))
    .default([]),
  fieldBlocks: z.record(
    z.string(),
    z.object({
      fieldDetectionType: z.string().default('BUBBLES_THRESHOLD'),
      bubbleFieldType: z.string().optional(),
      /** The older name of bubbleFieldType. */
      fieldType: z.string().optional(),
      bubbleValues: z.array(z.string().min(1)).optional(),
      direction: z.enum(['horizontal', 'vertical']).optional(),
      origin: pair,
      bubblesGap: z.number(),
      labelsGap: z.number(),
      bubbleDimensions: pair.optional(),
      fieldLabels: z.array(z.string()).min(1),
    }),
  ),
});

/** One column of OMRChecker's output: a custom label joins its fields' values in order. */
export interface OutputColumn {
  name: string;
  fields: string[];
}

export interface ImportedTemplate {
  definition: FormDefinition;
  /** OMRChecker's output columns, as our fields make them (to compare with its results). */
  columns: OutputColumn[];
  /** What OMRChecker writes for a field with no mark. */
  emptyValue: string;
}

export type ImportResult = { ok: true; imported: ImportedTemplate } | { ok: false; errors: string[] };

export interface ImportOptions {
  id: string;
  title?: string;
}

/** `q1..5` → q1 … q5; any other label as it is. */
export function expandLabels(labels: readonly string[]): string[] {
  return labels.flatMap((label) => {
    const m = /^([^\d.]+)(\d+)\.\.(\d+)$/.exec(label);
    if (!m) return [label];
    const [from, to] = [Number(m[2]), Number(m[3])];
    return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => `${m[1]}${from + i}`);
  });
}

/** A field name of ours: dotted lower-case words. */
function fieldName(label: string): string {
  const name = label.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
  return /^[a-z]/.test(name) ? name : `f_${name}`;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

type Registration =
  | { method: 'image-frame' | 'page-edges' }
  /** The markers' side in template pixels. */
  | { method: 'corner-marks'; marker: number }
  /** A dash's length across its track, template pixels. */
  | { method: 'timing-tracks'; dash: number };

const MarkersSchema = z.object({
  defaultSelector: z
    .literal('CENTERS', { error: 'only marker centres are warped to the corners here' })
    .optional(),
  markerDimensions: pair,
  processingImageShape: pair.optional(),
});

const LineSchema = z.object({ dimensions: pair });
const LinesSchema = z.object({
  defaultSelector: z
    .enum(['CENTERS', 'OUTER_CORNERS'], { error: "only the lines' outer edges are warped to the sides here" })
    .optional(),
  leftLine: LineSchema,
  rightLine: LineSchema,
  processingImageShape: pair.optional(),
});

const issuesOf = (what: string, error: z.ZodError) =>
  `${what}: ${error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`;

/** Our registration for the template's pre-processors, or why there is none. */
function registrationOf(template: z.infer<typeof TemplateSchema>): Registration | string {
  let found: Registration = { method: 'image-frame' };
  let rotated = false;
  for (const p of template.preProcessors) {
    if (FILTERS.has(p.name)) continue;
    // Turning the page upright by a reference image: corner marks find the turn themselves (way-up.ts).
    if (p.name === 'AutoRotate') {
      rotated = true;
      continue;
    }
    // A crop to the page before the markers are looked for changes nothing our corner marks need.
    if (p.name === 'CropPage') {
      if (found.method === 'image-frame') found = { method: 'page-edges' };
      continue;
    }
    const dims = template.templateDimensions ?? template.pageDimensions;
    if (p.name === 'CropOnMarkers' && p.options.type === 'TWO_LINES') {
      const lines = LinesSchema.safeParse(p.options);
      if (!lines.success) return issuesOf('CropOnMarkers', lines.error);
      const { leftLine, rightLine, processingImageShape } = lines.data;
      const shape = processingImageShape ?? template.processingImageShape;
      if (!shape || !dims)
        return "CropOnMarkers: no processingImageShape, so the dashes' length is not known";
      // The lines' zones are in the pre-processed image's pixels, which the template's frame then stretches.
      found = {
        method: 'timing-tracks',
        dash: (((leftLine.dimensions[0] + rightLine.dimensions[0]) / 2) * dims[0]) / shape[1],
      };
      continue;
    }
    if (p.name === 'CropOnMarkers') {
      if (p.options.type !== 'FOUR_MARKERS')
        return `CropOnMarkers of type ${String(p.options.type)}: only four markers or two lines are read here`;
      const markers = MarkersSchema.safeParse(p.options);
      if (!markers.success) return issuesOf('CropOnMarkers', markers.error);
      const { markerDimensions, processingImageShape } = markers.data;
      const shape = processingImageShape ?? template.processingImageShape;
      if (!shape || !dims) return "CropOnMarkers: no processingImageShape, so the markers' size is not known";
      // The markers are sized in the pre-processed image's pixels, which the template's frame then stretches.
      const marker =
        ((markerDimensions[0] * dims[0]) / shape[1] + (markerDimensions[1] * dims[1]) / shape[0]) / 2;
      found = { method: 'corner-marks', marker };
      continue;
    }
    return `pre-processor ${p.name} has no counterpart here (it moves the page in a way our registration cannot declare)`;
  }
  if (rotated && found.method !== 'corner-marks' && found.method !== 'timing-tracks')
    return 'AutoRotate: a page is turned upright here only by four corner markers or two lines (CropOnMarkers)';
  return found;
}

/** An OMRChecker template as a form definition of ours, or every reason it cannot be one. */
export function importOmrChecker(input: unknown, opts: ImportOptions): ImportResult {
  const parsed = TemplateSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => `${i.path.join('.') || 'template'}: ${i.message}`),
    };
  }
  const t = parsed.data;
  const dims = t.templateDimensions ?? t.pageDimensions;
  if (!dims) return { ok: false, errors: ['templateDimensions: missing'] };
  const errors: string[] = [];
  const reg = registrationOf(t);
  if (typeof reg === 'string') errors.push(reg);
  const mm = 297 / Math.max(dims[0], dims[1]);
  // Corner marks are centred on the template's corners: the page takes a marker's side more each way.
  const margin = typeof reg !== 'string' && reg.method === 'corner-marks' ? reg.marker : 0;
  const at = (v: number) => round((v + margin) * mm);
  const types = { ...BUILTIN_TYPES, ...t.customBubbleFieldTypes };

  const fields: FormDefinitionInput['fields'] = [];
  const labelsSeen = new Map<string, string>();
  let smallestBubble = Number.POSITIVE_INFINITY;
  for (const [blockName, b] of Object.entries(t.fieldBlocks)) {
    if (b.fieldDetectionType !== 'BUBBLES_THRESHOLD') {
      errors.push(`fieldBlocks.${blockName}: ${b.fieldDetectionType} is not read here (bubbles only)`);
      continue;
    }
    const typeName = b.bubbleFieldType ?? b.fieldType;
    const type = typeName === undefined ? undefined : types[typeName];
    const values = b.bubbleValues ?? type?.bubbleValues;
    const direction = b.direction ?? type?.direction;
    if (!values || !direction) {
      errors.push(`fieldBlocks.${blockName}: unknown bubble field type ${typeName ?? '(none)'}`);
      continue;
    }
    const [bw, bh] = b.bubbleDimensions ?? t.bubbleDimensions;
    smallestBubble = Math.min(smallestBubble, bw, bh);
    const vertical = direction === 'vertical';
    expandLabels(b.fieldLabels).forEach((label, i) => {
      const name = fieldName(label);
      const clash = labelsSeen.get(name);
      if (clash !== undefined && clash !== label)
        errors.push(`fields "${clash}" and "${label}" both become ${name}`);
      labelsSeen.set(name, label);
      const x = b.origin[0] + (vertical ? i * b.labelsGap : 0);
      const y = b.origin[1] + (vertical ? 0 : i * b.labelsGap);
      fields.push({
        name,
        label,
        kind: 'bubbles',
        multiple: false,
        labels: values,
        block: blockName,
        bubbles: {
          origin: [at(x), at(y)],
          size: [round(bw * mm), round(bh * mm)],
          count: values.length,
          pitch: vertical ? [0, round(b.bubblesGap * mm)] : [round(b.bubblesGap * mm), 0],
        },
      });
    });
  }
  if (errors.length > 0) return { ok: false, errors };

  const page = { width: round((dims[0] + 2 * margin) * mm), height: round((dims[1] + 2 * margin) * mm) };
  const side = round(margin * mm);
  const anchors = ['tl', 'tr', 'bl', 'br'].map((corner) => ({
    id: corner.toUpperCase(),
    x: round(at(corner.endsWith('l') ? 0 : dims[0]) - side / 2),
    y: round(at(corner.startsWith('t') ? 0 : dims[1]) - side / 2),
    w: side,
    h: side,
    shape: 'rings' as const,
  }));
  const definition = FormDefinitionSchema.safeParse({
    id: opts.id,
    title: opts.title ?? `OMRChecker template ${opts.id}`,
    kind: 'bubble-sheet',
    edition: 'omrchecker',
    source: `imported from an OMRChecker template.json (${dims[0]} x ${dims[1]} px at ${round(mm)} mm a pixel)`,
    page,
    registration: typeof reg === 'string' ? 'image-frame' : reg.method,
    anchors: margin > 0 ? anchors : [],
    // The lines' outer edges are the template's sides, from its top to its bottom.
    tracks:
      typeof reg !== 'string' && reg.method === 'timing-tracks'
        ? (['left', 'right'] as const).map((trackSide) => ({
            side: trackSide,
            x: trackSide === 'left' ? 0 : page.width,
            top: 0,
            bottom: page.height,
            dash: round(reg.dash * mm),
          }))
        : [],
    barcodes: [],
    alphabets: {},
    fields,
    ...SHEET_READING,
    // A few millimetres of an A4 page, or half a bubble where the template's bubbles are large (up to the
    // schema's 10 mm): a template drawn small (a 300-px sheet) has bubbles of 15-30 mm at this scale, and
    // its crop's few pixels are more than 4 of them.
    bubbleAlign: {
      ...SHEET_READING.bubbleAlign,
      window: round(Math.min(10, Math.max(SHEET_READING.bubbleAlign.window, smallestBubble * mm * 0.5))),
    },
  } satisfies FormDefinitionInput);
  if (!definition.success) {
    return { ok: false, errors: definition.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  }

  const inCustom = new Set(Object.values(t.customLabels).flatMap((l) => expandLabels(l)));
  const columns: OutputColumn[] = [
    ...Object.entries(t.customLabels).map(([name, l]) => ({ name, fields: expandLabels(l).map(fieldName) })),
    ...[...labelsSeen.values()]
      .filter((l) => !inCustom.has(l))
      .map((l) => ({ name: l, fields: [fieldName(l)] })),
  ];
  return { ok: true, imported: { definition: definition.data, columns, emptyValue: t.emptyValue } };
}
