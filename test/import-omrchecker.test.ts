/** OMRChecker templates as definitions: where each bubble goes, what it is called, and what is refused. */
import { describe, expect, it } from 'vitest';
import { expandLabels, importOmrChecker } from '../calibration/import-omrchecker.ts';

/** 1000 x 1500 template px: the long side becomes 297 mm, so 0.198 mm a pixel. */
const template = {
  templateDimensions: [1000, 1500],
  bubbleDimensions: [20, 20],
  emptyValue: '-',
  preProcessors: [
    { name: 'GaussianBlur', options: { kSize: [3, 3] } },
    { name: 'CropPage', options: { morphKernel: [10, 10] } },
  ],
  customLabels: { Roll: ['Medium', 'roll1..2'] },
  customBubbleFieldTypes: { CUSTOM_MEDIUM: { bubbleValues: ['E', 'H'], direction: 'vertical' } },
  fieldBlocks: {
    Medium: {
      bubbleFieldType: 'CUSTOM_MEDIUM',
      origin: [100, 200],
      bubblesGap: 40,
      labelsGap: 0,
      fieldLabels: ['Medium'],
    },
    Roll: {
      bubbleFieldType: 'QTYPE_INT',
      origin: [150, 200],
      bubblesGap: 30,
      labelsGap: 50,
      fieldLabels: ['roll1..2'],
    },
    Mcq: {
      bubbleFieldType: 'QTYPE_MCQ4',
      origin: [300, 800],
      bubblesGap: 60,
      labelsGap: 45,
      bubbleDimensions: [30, 25],
      fieldLabels: ['Q1..3'],
    },
  },
};

const imported = () => {
  const r = importOmrChecker(template, { id: 'sample' });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.imported;
};

describe('importing an OMRChecker template', () => {
  it('expands label ranges and leaves other labels as they are', () => {
    expect(expandLabels(['q1..3', 'Medium', 'roll9..10'])).toEqual([
      'q1',
      'q2',
      'q3',
      'Medium',
      'roll9',
      'roll10',
    ]);
  });

  it('scales the page to 297 mm on its long side and registers a cropped page by its outline', () => {
    const { definition } = imported();
    expect(definition).toMatchObject({
      page: { width: 198, height: 297 },
      registration: 'page-edges',
      anchors: [],
    });
  });

  it('lays a vertical field down the page and the next one to its right', () => {
    const fields = imported().definition.fields;
    expect(fields.find((f) => f.name === 'roll2')).toMatchObject({
      kind: 'bubbles',
      label: 'roll2',
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      multiple: false,
      bubbles: { origin: [39.6, 39.6], size: [3.96, 3.96], count: 10, pitch: [0, 5.94] },
    });
    expect(fields.find((f) => f.name === 'medium')).toMatchObject({
      labels: ['E', 'H'],
      bubbles: { pitch: [0, 7.92] },
    });
  });

  it('lays a horizontal field across the page and the next one below, with its block’s bubble size', () => {
    const q3 = imported().definition.fields.find((f) => f.name === 'q3');
    expect(q3).toMatchObject({
      label: 'Q3',
      labels: ['A', 'B', 'C', 'D'],
      bubbles: { origin: [59.4, 176.22], size: [5.94, 4.95], pitch: [11.88, 0] },
    });
  });

  it('reads without blank scans: levels from each sheet, each field block found near its place', () => {
    const { definition } = imported();
    expect(definition.bubbleEmpty).toBe('sheet');
    expect(definition.bubbleAlign?.window).toBeGreaterThan(0);
    // Thresholds are in darkness above the empty level: a light pencil mark (0.2) clears the split.
    expect(definition.thresholds.bubbles?.maxThreshold).toBeLessThan(0.6);
    const blocks = Object.fromEntries(
      definition.fields.map((f) => [f.name, f.kind === 'bubbles' && f.block]),
    );
    expect(blocks).toEqual({
      medium: 'Medium',
      roll1: 'Roll',
      roll2: 'Roll',
      q1: 'Mcq',
      q2: 'Mcq',
      q3: 'Mcq',
    });
  });

  it.each([
    ['an A4-sized template: a few millimetres', template, 4],
    [
      'a template drawn small (400 px): half its smallest bubble, 7.4 mm',
      { ...template, templateDimensions: [300, 400] },
      7.43,
    ],
    [
      'a template drawn smaller still (200 px): at most 10 mm',
      { ...template, templateDimensions: [150, 200] },
      10,
    ],
  ])('looks for each block within %s', (_name, t, window) => {
    const result = importOmrChecker(t, { id: 'sample' });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.imported.definition.bubbleAlign?.window).toBeCloseTo(window, 2);
  });

  it('names OMRChecker’s output columns: custom labels join their fields, the rest stand alone', () => {
    const { columns, emptyValue } = imported();
    expect(columns).toEqual([
      { name: 'Roll', fields: ['medium', 'roll1', 'roll2'] },
      { name: 'Q1', fields: ['q1'] },
      { name: 'Q2', fields: ['q2'] },
      { name: 'Q3', fields: ['q3'] },
    ]);
    expect(emptyValue).toBe('-');
  });

  it('registers an uncropped template by the image frame', () => {
    const r = importOmrChecker({ ...template, preProcessors: [] }, { id: 'sample' });
    expect(r.ok && r.imported.definition.registration).toBe('image-frame');
  });

  it('registers two lines as timing tracks whose outer edges are the template’s sides', () => {
    // Zones 14 and 16 px wide in a 500 x 750 processing image: dashes of 30 template px, 5.94 mm.
    const lines = {
      name: 'CropOnMarkers',
      options: {
        type: 'TWO_LINES',
        defaultSelector: 'OUTER_CORNERS',
        leftLine: { origin: [20, 100], dimensions: [14, 500] },
        rightLine: { origin: [460, 100], dimensions: [16, 500] },
        processingImageShape: [750, 500],
      },
    };
    const r = importOmrChecker(
      { ...template, preProcessors: [template.preProcessors[1], lines] },
      { id: 's' },
    );
    if (!r.ok) throw new Error(r.errors.join());
    const { definition } = r.imported;
    expect(definition.registration).toBe('timing-tracks');
    expect(definition.page).toEqual({ width: 198, height: 297 });
    expect(definition.anchors).toEqual([]);
    expect(definition.tracks).toEqual([
      { side: 'left', x: 0, top: 0, bottom: 297, dash: 5.94 },
      { side: 'right', x: 198, top: 0, bottom: 297, dash: 5.94 },
    ]);
    // No margin: template (100, 200) is 100 px from the left track's edge, 200 from its top.
    const medium = definition.fields.find((f) => f.name === 'medium');
    expect(medium?.kind === 'bubbles' && medium.bubbles.origin).toEqual([19.8, 39.6]);
  });

  it('registers four markers as bullseyes centred on the template’s corners, on a page a marker wider each way', () => {
    // Markers 50 px in a 500 x 750 processing image: 100 template px, 19.8 mm.
    const markers = {
      name: 'CropOnMarkers',
      options: { type: 'FOUR_MARKERS', markerDimensions: [50, 50], processingImageShape: [750, 500] },
    };
    const r = importOmrChecker(
      { ...template, preProcessors: [template.preProcessors[1], markers] },
      { id: 's' },
    );
    if (!r.ok) throw new Error(r.errors.join());
    const { definition } = r.imported;
    expect(definition.registration).toBe('corner-marks');
    expect(definition.page).toEqual({ width: 237.6, height: 336.6 });
    expect(definition.anchors.map(({ id, x, y, w, h, shape }) => ({ id, x, y, w, h, shape }))).toEqual([
      { id: 'TL', x: 9.9, y: 9.9, w: 19.8, h: 19.8, shape: 'rings' },
      { id: 'TR', x: 207.9, y: 9.9, w: 19.8, h: 19.8, shape: 'rings' },
      { id: 'BL', x: 9.9, y: 306.9, w: 19.8, h: 19.8, shape: 'rings' },
      { id: 'BR', x: 207.9, y: 306.9, w: 19.8, h: 19.8, shape: 'rings' },
    ]);
    // AutoRotate before them changes nothing: the bubble blocks tell the corner marks' turn (recognise.ts).
    const rotated = importOmrChecker(
      { ...template, preProcessors: [{ name: 'AutoRotate', options: {} }, markers] },
      { id: 's' },
    );
    expect(rotated.ok && rotated.imported.definition).toEqual(definition);
    // Template (100, 200) lies a marker's side in from the page's corner.
    const medium = definition.fields.find((f) => f.name === 'medium');
    expect(medium?.kind === 'bubbles' && medium.bubbles.origin).toEqual([39.6, 59.4]);
  });

  it.each([
    [
      'a line and two dots',
      [{ name: 'CropOnMarkers', options: { type: 'ONE_LINE_TWO_DOTS' } }],
      /type ONE_LINE_TWO_DOTS: only four markers or two lines/,
    ],
    [
      'two lines of no stated zones',
      [{ name: 'CropOnMarkers', options: { type: 'TWO_LINES', processingImageShape: [1132, 800] } }],
      /CropOnMarkers: leftLine/,
    ],
    [
      "two lines' inner edges",
      [
        {
          name: 'CropOnMarkers',
          options: {
            type: 'TWO_LINES',
            defaultSelector: 'INNER_CORNERS',
            leftLine: { dimensions: [14, 840] },
            rightLine: { dimensions: [14, 840] },
            processingImageShape: [1132, 800],
          },
        },
      ],
      /outer edges are warped/,
    ],
    [
      'markers of no stated size',
      [{ name: 'CropOnMarkers', options: { type: 'FOUR_MARKERS', processingImageShape: [750, 500] } }],
      /CropOnMarkers: markerDimensions/,
    ],
    [
      'markers in an image of no stated size',
      [{ name: 'CropOnMarkers', options: { type: 'FOUR_MARKERS', markerDimensions: [50, 50] } }],
      /no processingImageShape/,
    ],
    [
      'the markers’ inner corners',
      [
        {
          name: 'CropOnMarkers',
          options: {
            type: 'FOUR_MARKERS',
            markerDimensions: [50, 50],
            processingImageShape: [750, 500],
            defaultSelector: 'INNER_CORNERS',
          },
        },
      ],
      /only marker centres/,
    ],
    [
      'rotation without markers',
      [{ name: 'AutoRotate', options: {} }],
      /AutoRotate: .* only by four corner markers/,
    ],
    [
      'feature alignment',
      [{ name: 'FeatureBasedAlignment', options: {} }],
      /FeatureBasedAlignment has no counterpart/,
    ],
  ])('refuses a template aligned by %s, saying which', (_what, preProcessors, message) => {
    const r = importOmrChecker({ ...template, preProcessors }, { id: 'sample' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.join('\n')).toMatch(message);
  });

  it('lists every field block it cannot read, and a template that is not one', () => {
    const r = importOmrChecker(
      {
        ...template,
        fieldBlocks: {
          ...template.fieldBlocks,
          Name: {
            fieldDetectionType: 'OCR',
            origin: [0, 0],
            bubblesGap: 0,
            labelsGap: 0,
            fieldLabels: ['name'],
          },
          Odd: {
            bubbleFieldType: 'QTYPE_UNKNOWN',
            origin: [0, 0],
            bubblesGap: 1,
            labelsGap: 1,
            fieldLabels: ['x'],
          },
        },
      },
      { id: 'sample' },
    );
    expect(!r.ok && r.errors).toEqual([
      'fieldBlocks.Name: OCR is not read here (bubbles only)',
      'fieldBlocks.Odd: unknown bubble field type QTYPE_UNKNOWN',
    ]);
    expect(importOmrChecker({ fieldBlocks: {} }, { id: 'sample' })).toMatchObject({ ok: false });
  });
});
