/**
 * Derives the EGE answer sheet 1 definitions (2022 and 2023 editions) from the layout measured on the real
 * form (shared/forms/ege-answer-sheet-1.layout.json). Run: `npx tsx calibration/derive-ege-as1.ts [LAYOUT]`.
 * The committed JSON is the source of truth at run time; this tool only makes it reproducible.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALPHABETS } from '../forms/alphabets.ts';
import { parseFormDefinition } from '../forms/definitions.ts';
import type { FormDefinitionInput } from '../forms/schema.ts';

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Layout {
  anchors: Record<string, Box>;
  barcodes: { qr: Box; ean13_horizontal: Box; ean13_vertical: Box };
  lines: Record<string, Box>;
  header: { fields: Record<string, { cells: Box[] }> };
  sample_strip: { cell_w: number; rows: { y: number; h: number; cells: { char: string; x: number }[] }[] };
  answer_grid: {
    cell_w: number;
    cell_h: number;
    columns: { rows: [number, number]; cell_x: number[]; row_y: number[] }[];
    row_separator_bars: {
      left_x: number;
      right_x: number;
      w: number;
      h: number;
      y_left: number[];
      y_right: number[];
    };
  };
  replacement_grid: {
    cell_w: number;
    cell_h: number;
    columns: {
      rows: { index: number; y: number; task_cells_x: number[]; answer_cells_x: number[]; dash: Box }[];
    }[];
  };
  organiser: { count_field: Box };
}

const r2 = (v: number) => Math.round(v * 100) / 100;

function pitchOf(xs: number[]): number {
  const first = xs[0];
  const last = xs[xs.length - 1];
  if (first === undefined || last === undefined || xs.length < 2) throw new Error('a run needs two cells');
  return r2((last - first) / (xs.length - 1));
}

function headerCells(cells: Box[]): {
  origin: [number, number];
  size: [number, number];
  count: number;
  pitch: [number, number];
} {
  const first = cells[0];
  if (!first) throw new Error('empty header field');
  return {
    origin: [first.x, first.y],
    size: [first.w, first.h],
    count: cells.length,
    pitch: [cells.length > 1 ? pitchOf(cells.map((c) => c.x)) : 0, 0],
  };
}

export function deriveEgeAs1(layout: Layout, edition: '2022' | '2023'): FormDefinitionInput {
  const grid = layout.answer_grid;
  const [left, right] = grid.columns;
  if (!left || !right) throw new Error('answer grid needs two columns');
  const x0 = left.cell_x[0] ?? 0;
  const y0 = left.row_y[0] ?? 0;
  const answerOffsets: [number, number][] = [
    ...left.row_y.map((y): [number, number] => [0, r2(y - y0)]),
    ...right.row_y.map((y): [number, number] => [r2((right.cell_x[0] ?? 0) - x0), r2(y - y0)]),
  ];

  const replRows = layout.replacement_grid.columns.flatMap((c) => c.rows).sort((a, b) => a.index - b.index);
  const firstRepl = replRows[0];
  if (!firstRepl) throw new Error('no replacement rows');
  const taskX0 = firstRepl.task_cells_x[0] ?? 0;
  // Task and answer cells get their own offsets: the right column's answers sit 0.24 mm closer to its task cells.
  const offsetsOf = (xs: (r: (typeof replRows)[number]) => number[]) =>
    replRows.map((r): [number, number] => [
      r2((xs(r)[0] ?? 0) - (xs(firstRepl)[0] ?? 0)),
      r2(r.y - firstRepl.y),
    ]);
  const taskOffsets = offsetsOf((r) => r.task_cells_x);
  const replacementAnswerOffsets = offsetsOf((r) => r.answer_cells_x);
  const rw = layout.replacement_grid.cell_w;
  const rh = layout.replacement_grid.cell_h;
  const h = layout.header.fields;
  const field = (name: string) => {
    const f = h[name];
    if (!f) throw new Error(`layout has no header field ${name}`);
    return headerCells(f.cells);
  };
  const a = layout.anchors;
  const anchor = (id: string, solid = true) => {
    const b = a[id];
    if (!b) throw new Error(`layout has no anchor ${id}`);
    return { id, x: b.x, y: b.y, w: b.w, h: b.h, solid };
  };
  const bc = layout.barcodes;
  const box = (b: Box) => ({ x: b.x, y: b.y, w: b.w, h: b.h });

  const print: FormDefinitionInput['print'] = [
    ...Object.values(layout.lines).map((l) => ({ type: 'bar' as const, ...box(l) })),
    // Title lines fitted to their measured width: drawn wider, they would touch anchors TL and TR.
    {
      type: 'text',
      x: 54.95,
      y: 11.0,
      size: 3.5,
      w: 117.6,
      text: `ЕДИНЫЙ ГОСУДАРСТВЕННЫЙ ЭКЗАМЕН - ${edition}`,
    },
    { type: 'text', x: 74.34, y: 18.2, size: 5.1, w: 78.32, text: 'БЛАНК ОТВЕТОВ № 1', bold: true },
    ...[
      [54.1, 'Код', 'региона'],
      [71.0, 'Код', 'предмета'],
      [91.3, 'Название', 'предмета'],
    ].flatMap(([x, l1, l2]) => [
      {
        type: 'text' as const,
        x: Number(x),
        y: 23.2,
        size: 1.5,
        text: String(l1),
        bold: true,
        align: 'middle' as const,
      },
      {
        type: 'text' as const,
        x: Number(x),
        y: 26.0,
        size: 1.5,
        text: String(l2),
        bold: true,
        align: 'middle' as const,
      },
    ]),
    { type: 'frame', ...box({ x: 104.61, y: 21.04, w: 56.73, h: 10.75 }) },
    { type: 'frame', ...box({ x: 117.64, y: 279.87, w: 54.1, h: 7.62 }) },
    { type: 'frame', dotted: true, ...box({ x: 19.04, y: 42.61, w: 52.05, h: 14.98 }) },
    { type: 'frame', dotted: true, ...box({ x: 189.86, y: 7.71, w: 13.78, h: 49.97 }) },
    {
      type: 'text',
      x: 73.5,
      y: 39.7,
      size: 1.8,
      bold: true,
      text: 'Заполнять гелевой или капиллярной ручкой ЧЕРНЫМИ чернилами ЗАГЛАВНЫМИ',
    },
    {
      type: 'text',
      x: 73.5,
      y: 43.2,
      size: 1.8,
      bold: true,
      text: 'ПЕЧАТНЫМИ БУКВАМИ и ЦИФРАМИ по следующим образцам:',
    },
    { type: 'text', x: 19.0, y: 63.5, size: 1.9, bold: true, text: 'ВНИМАНИЕ!', align: 'middle' },
    {
      type: 'text',
      x: 95,
      y: 63.3,
      size: 2.1,
      bold: true,
      text: 'Все бланки и контрольные измерительные материалы рассматриваются в комплекте',
      align: 'middle',
    },
    {
      type: 'text',
      x: 105,
      y: 69.6,
      size: 3.1,
      text: 'Результаты выполнения заданий с КРАТКИМ ОТВЕТОМ',
      align: 'middle',
    },
    {
      type: 'text',
      x: 105,
      y: 243.4,
      size: 3.1,
      text: 'Замена ошибочных ответов на задания с КРАТКИМ ОТВЕТОМ',
      align: 'middle',
    },
    {
      type: 'text',
      x: 105,
      y: 276.8,
      size: 2.7,
      text: 'ЗАПОЛНЯЕТСЯ ОТВЕТСТВЕННЫМ ОРГАНИЗАТОРОМ В АУДИТОРИИ:',
      align: 'middle',
    },
    ...layout.sample_strip.rows.flatMap((row) =>
      row.cells.flatMap((c) => [
        { type: 'frame' as const, dotted: true, x: c.x, y: row.y, w: layout.sample_strip.cell_w, h: row.h },
        {
          type: 'text' as const,
          x: c.x + layout.sample_strip.cell_w / 2,
          y: row.y + row.h - 0.5,
          size: 2.8,
          text: c.char,
          align: 'middle' as const,
        },
      ]),
    ),
    ...left.row_y.flatMap((y, i) => [
      {
        type: 'text' as const,
        x: 9.86,
        y: y + 4.5,
        size: 2.54,
        bold: true,
        text: String(i + 1),
        align: 'middle' as const,
      },
      {
        type: 'text' as const,
        x: 108.59,
        y: y + 4.5,
        size: 2.54,
        bold: true,
        text: String(i + 21),
        align: 'middle' as const,
      },
    ]),
  ];
  const bars = grid.row_separator_bars;
  const marks = [
    ...bars.y_left.map((y) => ({ x: bars.left_x, y, w: bars.w, h: bars.h })),
    ...bars.y_right.map((y) => ({ x: bars.right_x, y, w: bars.w, h: bars.h })),
    ...replRows.map((r) => box(r.dash)),
    // 2022 prints an emblem over BR: no solid anchor, but its dark corners and centre are symmetric about
    // the square's centre, so it still serves as a mark (and the page's lower right has no other).
    ...(edition === '2022' ? [{ x: a.BR?.x ?? 0, y: a.BR?.y ?? 0, w: a.BR?.w ?? 0, h: a.BR?.h ?? 0 }] : []),
  ];

  return {
    id: `ege-as1-${edition}`,
    title: `ЕГЭ: бланк ответов № 1 (образец ${edition} года)`,
    kind: 'answer-sheet-1',
    edition,
    source: 'measured on the public sample form: shared/forms/ege-answer-sheet-1.layout.json',
    page: { width: 210, height: 297 },
    // 2022 prints an emblem over BR, so only TL, TR, MR and BL are solid fiducials there.
    anchors: [anchor('TL'), anchor('TR'), anchor('MR'), anchor('BL'), anchor('BR', edition !== '2022')],
    barcodes: [
      { role: 'sheet-qr', symbology: 'qr', ...box(bc.qr) },
      { role: 'sheet-number', symbology: 'ean13', ...box(bc.ean13_horizontal) },
      { role: 'sheet-number-vertical', symbology: 'ean13', rotation: 90, ...box(bc.ean13_vertical) },
    ],
    // The row-separator bars and replacement dashes are secondary registration points.
    marks,
    // Digit 3 tells the code apart (1 horizontal, 2 QR, 3 vertical); digits 4-12 are the sheet's own number.
    sheetNumber: { pattern: '^2\\d{12}$', agree: [3, 12] },
    alphabets: { digits: ALPHABETS.digits, letters: ALPHABETS.cyrillic, answer: ALPHABETS.answer },
    fields: [
      { name: 'region', kind: 'cells', alphabet: 'digits', preprinted: true, cells: field('region_code') },
      {
        name: 'subject_code',
        kind: 'cells',
        alphabet: 'digits',
        preprinted: true,
        cells: field('subject_code'),
      },
      {
        name: 'subject_name',
        kind: 'cells',
        alphabet: 'letters',
        preprinted: true,
        cells: field('subject_name'),
      },
      {
        name: 'answer.{n}',
        kind: 'cells',
        alphabet: 'answer',
        mayOverflow: true,
        cells: {
          origin: [x0, y0],
          size: [grid.cell_w, grid.cell_h],
          count: 17,
          pitch: [pitchOf(left.cell_x), 0],
        },
        repeat: { from: 1, offsets: answerOffsets },
      },
      {
        name: 'replacement.{n}.task',
        kind: 'cells',
        alphabet: 'digits',
        cells: {
          origin: [taskX0, firstRepl.y],
          size: [rw, rh],
          count: 2,
          pitch: [pitchOf(firstRepl.task_cells_x), 0],
        },
        repeat: { from: 1, offsets: taskOffsets },
      },
      {
        name: 'replacement.{n}.answer',
        kind: 'cells',
        alphabet: 'answer',
        mayOverflow: true,
        cells: {
          origin: [firstRepl.answer_cells_x[0] ?? 0, firstRepl.y],
          size: [rw, rh],
          count: 17,
          pitch: [pitchOf(firstRepl.answer_cells_x), 0],
        },
        repeat: { from: 1, offsets: replacementAnswerOffsets },
      },
      {
        name: 'replacement_count',
        label: 'number of filled replacement rows, entered by the organiser',
        kind: 'cells',
        alphabet: 'digits',
        cells: {
          origin: [layout.organiser.count_field.x, layout.organiser.count_field.y],
          size: [layout.organiser.count_field.w, layout.organiser.count_field.h],
          count: 1,
        },
      },
    ],
    print,
    // The sheet's subject code types its answers (calibration/answers/<year>/).
    answers: {
      exam: 'EGE',
      subjectField: 'subject_code',
      answerField: 'answer.{n}',
      replacement: { task: 'replacement.{n}.task', answer: 'replacement.{n}.answer' },
    },
    derive: ['ege-replacements'],
    // The least threshold with no wrong answer accepted on AS1 pages written with real handwriting (the
    // validation splits); BENCHMARKS.md, "Real handwriting on AS1 sheets composed as real ones".
    thresholds: { characterAccept: 0.998 },
    // One answer in fifty read without doubt is verified all the same: at about 40 written answers a sheet,
    // a region's season of 100,000 sheets draws some 80,000, enough to bound its silent errors near 0.005%.
    controlShare: 0.02,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const layoutPath =
    process.argv[2] ??
    fileURLToPath(new URL('../../shared/forms/ege-answer-sheet-1.layout.json', import.meta.url));
  const layout = JSON.parse(readFileSync(layoutPath, 'utf8')) as Layout;
  for (const edition of ['2022', '2023'] as const) {
    const def = deriveEgeAs1(layout, edition);
    parseFormDefinition(def, `ege-as1-${edition}`);
    const out = fileURLToPath(new URL(`../forms/definitions/ege-as1-${edition}.json`, import.meta.url));
    writeFileSync(out, `${JSON.stringify(def, null, 1)}\n`);
    console.log(`wrote ${out}`);
  }
}
