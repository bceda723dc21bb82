/**
 * Loading and expanding form definitions. `expandForm` turns the compact JSON into the flat list of field
 * instances with one rectangle per cell or bubble, which is what the generator draws and the pipeline reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as z from 'zod';
import {
  type FieldDefinition,
  type FormDefinition,
  FormDefinitionSchema,
  type Rect,
  type Redaction,
  redactionAreas,
  repeatOffsets,
  type SheetKind,
  type Symbology,
} from './schema.ts';
import { PARSE_ONCE } from './subject-files.ts';

export type { FormDefinition, Rect, Redaction, SheetKind, Symbology };
export { redactionAreas };

export class FormDefinitionError extends Error {
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`invalid form definition ${source}:\n  ${issues.join('\n  ')}`);
    this.name = 'FormDefinitionError';
  }
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${issuePath(i.path) || '(root)'}: ${i.message}`);
}

/** Validates parsed JSON; the error names every bad key. */
export function parseFormDefinition(json: unknown, source = '(inline)'): FormDefinition {
  const result = FormDefinitionSchema.safeParse(json, PARSE_ONCE);
  if (!result.success) throw new FormDefinitionError(source, formatIssues(result.error));
  return result.data;
}

/** A definition file's JSON, not yet validated. */
function readDefinitionJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FormDefinitionError(path, [`not readable JSON: ${(err as Error).message}`]);
  }
}

export function loadFormDefinitionFile(path: string): FormDefinition {
  return parseFormDefinition(readDefinitionJson(path), path);
}

export const FORMS_DIR = fileURLToPath(new URL('./definitions/', import.meta.url));

let shipped: FormDefinition[] | undefined;
/** Each shipped file's definition, validated once per process, the same object whoever asks. */
const shippedByFile = new Map<string, FormDefinition>();

const shippedFiles = () =>
  readdirSync(FORMS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

/** A shipped file's definition; `json`, its contents when already read. */
function shippedFile(file: string, json?: unknown): FormDefinition {
  let def = shippedByFile.get(file);
  if (!def) {
    def = parseFormDefinition(json ?? readDefinitionJson(FORMS_DIR + file), FORMS_DIR + file);
    shippedByFile.set(file, def);
  }
  return def;
}

/** The shipped definition that declares `id`, each file read once; none when no readable file does. */
function shippedById(id: string): FormDefinition | undefined {
  for (const file of shippedFiles()) {
    let json: unknown;
    try {
      json = readDefinitionJson(FORMS_DIR + file);
    } catch {
      continue;
    }
    if ((json as { id?: unknown } | null)?.id === id) return shippedFile(file, json);
  }
  return undefined;
}

/** Every definition shipped in forms/definitions/, validated once per process. */
export function shippedForms(): FormDefinition[] {
  shipped ??= shippedFiles().map((file) => shippedFile(file));
  return shipped;
}

/** A form id that no shipped definition has: the caller named it, so its message lists the ids there are. */
export class UnknownFormError extends Error {
  override name = 'UnknownFormError';
}

export function findShippedForm(id: string): FormDefinition {
  // One form asked for by id validates its own file only (15 ms against 35 for the eight shipped): a
  // process reading one form, `rcoi recognise --form`, starts sooner.
  const form = shipped
    ? shipped.find((f) => f.id === id)
    : (shippedById(id) ?? shippedForms().find((f) => f.id === id));
  if (!form) {
    throw new UnknownFormError(
      `unknown form "${id}"; shipped: ${shippedForms()
        .map((f) => f.id)
        .join(', ')}`,
    );
  }
  return form;
}

/** A form given on the command line: a shipped id or a path to a JSON definition. */
export function resolveForm(idOrPath: string): FormDefinition {
  return idOrPath.endsWith('.json') ? loadFormDefinitionFile(idOrPath) : findShippedForm(idOrPath);
}

interface FieldInstanceBase {
  name: string;
  /** The definition entry this instance came from (its name template). */
  template: string;
  label?: string;
}

export interface BubblesInstance extends FieldInstanceBase {
  kind: 'bubbles';
  labels: string[];
  multiple: boolean;
  rects: Rect[];
  /** Its block, when the form names one (bubble-align.ts). */
  block?: string;
}

export interface CellsInstance extends FieldInstanceBase {
  kind: 'cells';
  /** The allowed symbols themselves, not the alphabet's key. */
  allowed: string;
  rects: Rect[];
  mayOverflow: boolean;
  preprinted: boolean;
}

export interface LinkInstance extends FieldInstanceBase {
  kind: 'link';
  target: string;
  allowed: string;
  rects: Rect[];
}

export interface WritingInstance extends FieldInstanceBase {
  kind: 'writing';
  area: Rect;
}

export type FieldInstance = BubblesInstance | CellsInstance | LinkInstance | WritingInstance;

export interface ExpandedForm {
  definition: FormDefinition;
  fields: FieldInstance[];
  /** Field instances by name. */
  byName: Map<string, FieldInstance>;
}

type CellRun = Extract<FieldDefinition, { kind: 'cells' }>['cells'];

function runRects(run: CellRun, dx: number, dy: number): Rect[] {
  const [w, h] = run.size;
  return Array.from({ length: run.count }, (_, i) => ({
    x: run.origin[0] + i * run.pitch[0] + dx,
    y: run.origin[1] + i * run.pitch[1] + dy,
    w,
    h,
  }));
}

const DIGITS = '0123456789';

function instance(
  def: FormDefinition,
  field: FieldDefinition,
  n: number,
  dx: number,
  dy: number,
): FieldInstance {
  const base: FieldInstanceBase = {
    name: field.name.replace('{n}', String(n)),
    template: field.name,
    ...(field.label !== undefined && { label: field.label }),
  };
  switch (field.kind) {
    case 'bubbles':
      return {
        ...base,
        kind: 'bubbles',
        labels: field.labels,
        multiple: field.multiple,
        rects: runRects(field.bubbles, dx, dy),
        ...(field.block !== undefined && { block: field.block }),
      };
    case 'cells':
      return {
        ...base,
        kind: 'cells',
        allowed: def.alphabets[field.alphabet] ?? '',
        rects: runRects(field.cells, dx, dy),
        mayOverflow: field.mayOverflow,
        preprinted: field.preprinted,
      };
    case 'link':
      return {
        ...base,
        kind: 'link',
        target: field.target,
        allowed: DIGITS,
        rects: runRects(field.cells, dx, dy),
      };
    case 'writing':
      return {
        ...base,
        kind: 'writing',
        area: { ...field.area, x: field.area.x + dx, y: field.area.y + dy },
      };
  }
}

function expandField(def: FormDefinition, field: FieldDefinition): FieldInstance[] {
  return repeatOffsets(field).map(({ n, dx, dy }) => instance(def, field, n, dx, dy));
}

const expansions = new WeakMap<FormDefinition, ExpandedForm>();

/** The form's fields marked `personal` (a participant's names and document), in the form's order. */
export function personalFields(form: FormDefinition): string[] {
  return form.fields.filter((f) => f.personal).map((f) => f.name);
}

/**
 * A definition's field instances, worked out once per definition object: recognition, verification and crops
 * all ask again for every page. Callers must treat the result as read-only.
 */
export function expandForm(definition: FormDefinition): ExpandedForm {
  let e = expansions.get(definition);
  if (!e) {
    e = expandUncached(definition);
    expansions.set(definition, e);
  }
  return e;
}

function expandUncached(definition: FormDefinition): ExpandedForm {
  const fields = definition.fields.flatMap((f) => expandField(definition, f));
  const byName = new Map<string, FieldInstance>();
  for (const f of fields) {
    if (byName.has(f.name)) {
      throw new FormDefinitionError(definition.id, [`field "${f.name}" is defined twice`]);
    }
    byName.set(f.name, f);
  }
  return { definition, fields, byName };
}
