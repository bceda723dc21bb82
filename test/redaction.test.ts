import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedRules } from '../checking/store.ts';
import { redactionAreas, shippedForms } from '../forms/definitions.ts';
import { readBarcodes } from '../pipeline/barcodes.ts';
import { openSource, PageRejection } from '../pipeline/decode.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { recognisePage } from '../pipeline/recognise.ts';
import { pageImage } from '../platform/images.ts';
import { issueUser } from '../platform/store/users.ts';
import type { RunningService } from '../service/run.ts';
import { type DemoService, ELIGIBLE, seedWork, startDemo } from './helpers.ts';

let service: RunningService;
let demo: DemoService;
const tokens: Record<string, string> = {};
/** The work's answer sheets 2 in page order: form, sheet number, page. */
const sheets: { form: string; sheetNumber: string; pageId: string }[] = [];
/** Numbers the expert must not learn: every sheet number of the work and every number its link fields hold. */
const secrets: string[] = [];

const WORK = 'WREDACT01';
/** Fields that hold another sheet's number, on any shipped form. */
const LINK_FIELDS = shippedForms().flatMap((d) =>
  d.fields.flatMap((f) => (f.kind === 'link' ? [f.name] : [])),
);
const ZEROS = Object.fromEntries(['13', '14', '15', '16', '17', '18', '19'].map((t) => [t, 0]));

beforeAll(async () => {
  demo = await startDemo('rcoi-redaction-');
  service = demo.service;
  Object.assign(tokens, demo.tokens);
  const db = service.adapters.db;
  for (const id of ['chair-olga', 'expert-anna', 'expert-boris', 'senior-lena'])
    tokens[id] = await issueUser(db, { id, name: id, role: id.startsWith('chair') ? 'chair' : 'expert' });
  const rows = await db.query<{ form: string; sheet_number: string; page_id: string }>(
    `select form, sheet_number, page_id from sheets where form like 'ege-as2%' order by sheet_number`,
  );
  for (const form of ['ege-as2-1', 'ege-as2-2', 'ege-as2-additional']) {
    const s = rows.find((r) => r.form === form)!;
    sheets.push({ form, sheetNumber: s.sheet_number, pageId: s.page_id });
  }
  const [as21, as22, additional] = sheets.map((s) => s.sheetNumber);
  await seedWork(db, shippedRules(), WORK, [as21!, as22!]);
  await db.query(
    `insert into work_sheets (work_id, sheet_number, role, chain_position) values ($1, $2, 'additional-as2', 1)`,
    [WORK, additional],
  );
  // A work without pages, for the senior to check first: only then may she re-check an appeal.
  await seedWork(db, shippedRules(), 'WREDACT02', []);
  const links = await db.query<{ value: string }>(
    `select coalesce(final_value, value) as value from fields
     where page_id = any($1) and name = any($2) and value <> ''`,
    [sheets.map((s) => s.pageId), LINK_FIELDS],
  );
  secrets.push(...sheets.map((s) => s.sheetNumber), ...links.map((l) => l.value));
}, 120_000);

afterAll(() => demo?.stop());

const call = async (method: 'GET' | 'POST', url: string, who: string, payload?: object) =>
  service.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload && { payload }),
  });

/**
 * The images of a PNG, a JPEG or a PDF's pages, as the recogniser's own decoder takes them out; a PDF page of
 * text alone has none (the decoder refuses it) and gives nothing.
 */
async function decodeAll(bytes: Uint8Array): Promise<GreyImage[]> {
  const source = await openSource(bytes);
  const images: GreyImage[] = [];
  for (let i = 0; i < source.pageCount; i++) {
    try {
      images.push(await source.page(i));
    } catch (err) {
      if (!(err instanceof PageRejection)) throw err;
    }
  }
  return images;
}

/** What the project's reader and recogniser find of the sheet's identity on an image. */
async function whatIdentifies(image: GreyImage): Promise<string[]> {
  const codes = await readBarcodes(image, { formats: ['ean13', 'qr'], tryHarder: true });
  const sheet = await recognisePage(image, { forms: shippedForms() });
  const linked = Object.entries(sheet.fields)
    .filter(([name, f]) => LINK_FIELDS.includes(name) && f.value !== '')
    .map(([, f]) => f.value);
  return [...codes.map((c) => c.text), ...sheet.barcodes.map((b) => b.text), sheet.sheetNumber ?? [], linked]
    .flat()
    .filter((v) => v !== '');
}

const expectBlind = async (images: GreyImage[]) => {
  expect(images).toHaveLength(sheets.length);
  for (const image of images) expect(await whatIdentifies(image)).toEqual([]);
};

describe('images an expert can obtain', () => {
  it('are the very pages whose codes and links the reader finds when they are not redacted', async () => {
    const found: string[] = [];
    for (const s of sheets) {
      const png = await pageImage(service.adapters, shippedForms(), s.pageId, 'appeal-commission');
      found.push(...(await whatIdentifies((await decodeAll(png!))[0]!)));
    }
    // Three sheet numbers and sheet 2's link to the additional sheet.
    expect(secrets).toHaveLength(sheets.length + 1);
    expect(found).toEqual(expect.arrayContaining(secrets));
    // No other kind of sheet is drawn for an expert at all: the registration form names the participant.
    const [registration] = await service.adapters.db.query<{ page_id: string }>(
      `select page_id from sheets where form = 'ege-registration' limit 1`,
    );
    const as = (audience: 'expert' | 'appeal-commission') =>
      pageImage(service.adapters, shippedForms(), registration!.page_id, audience);
    expect(await as('expert')).toBeNull();
    expect(await as('appeal-commission')).not.toBeNull();
  });

  it('blank every barcode and link field of the check pages on screen, before encoding', async () => {
    for (const [who, status] of [
      ['expert-anna', 'main'],
      ['expert-boris', 'main'],
      ['senior-lena', 'senior'],
    ] as const) {
      const registered = await call('POST', '/api/checking/experts', 'chair-olga', {
        userId: who,
        year: 2026,
        subjectCode: '02',
        status,
        ...ELIGIBLE,
      });
      expect(registered.statusCode).toBe(201);
    }
    const check = (await call('POST', '/api/checking/next', 'expert-anna')).json();
    expect(check).toMatchObject({ workCode: WORK, round: 'first', pages: 3 });
    const images: GreyImage[] = [];
    for (const [i, s] of sheets.entries()) {
      const page = await call('GET', `/api/checking/checks/${check.id}/pages/${i + 1}`, 'expert-anna');
      expect(page.headers['content-type']).toBe('image/png');
      const [image] = await decodeAll(new Uint8Array(page.rawPayload));
      images.push(image!);
      // Solid paper over every area the form names, at the image's 5 px/mm: nothing left to enhance.
      const def = shippedForms().find((f) => f.id === s.form)!;
      let inked = 0;
      for (const a of redactionAreas(def))
        for (let y = Math.floor(a.y * 5); y < Math.ceil((a.y + a.h) * 5); y++)
          for (let x = Math.floor(a.x * 5); x < Math.ceil((a.x + a.w) * 5); x++)
            if (image!.data[y * image!.width + x] !== 255) inked++;
      expect(inked).toBe(0);
    }
    await expectBlind(images);
    const submitted = await call('POST', `/api/checking/checks/${check.id}/scores`, 'expert-anna', {
      scores: ZEROS,
    });
    expect(submitted.statusCode).toBe(200);
  });

  it('blank them in the chair’s batch of works, as a ZIP of JPEGs and as a PDF', async () => {
    const zip = await call('POST', '/api/checking/batch-zip', 'chair-olga', { workIds: [WORK] });
    const files = unzipSync(new Uint8Array(zip.rawPayload));
    expect(Object.keys(files)).toEqual([`${WORK}/page-01.jpg`, `${WORK}/page-02.jpg`, `${WORK}/page-03.jpg`]);
    await expectBlind((await Promise.all(Object.values(files).map(decodeAll))).flat());
    const pdf = await call('POST', '/api/checking/batch-pdf', 'chair-olga', { workIds: [WORK] });
    expect(pdf.headers['content-type']).toBe('application/pdf');
    await expectBlind(await decodeAll(new Uint8Array(pdf.rawPayload)));
  });

  it('blank them for the senior re-checking an appeal, while the commission’s kit keeps them', async () => {
    const second = (await call('POST', '/api/checking/next', 'expert-boris')).json();
    expect(second).toMatchObject({ workCode: WORK, round: 'second' });
    await call('POST', `/api/checking/checks/${second.id}/scores`, 'expert-boris', { scores: ZEROS });
    const own = (await call('POST', '/api/checking/next', 'senior-lena')).json();
    expect(own).toMatchObject({ workCode: 'WREDACT02', round: 'first' });
    await call('POST', `/api/checking/checks/${own.id}/scores`, 'senior-lena', { scores: ZEROS });
    const appeal = await call('POST', '/api/appeals', 'chair-olga', { workId: WORK, reason: 'task 13' });
    expect(appeal.statusCode).toBe(201);
    const recheck = (await call('POST', '/api/checking/next', 'senior-lena')).json();
    expect(recheck).toMatchObject({ workCode: WORK, round: 'appeal', pages: 3 });
    const images: GreyImage[] = [];
    for (const n of [1, 2, 3]) {
      const page = await call('GET', `/api/checking/checks/${recheck.id}/pages/${n}`, 'senior-lena');
      images.push(...(await decodeAll(new Uint8Array(page.rawPayload))));
    }
    await expectBlind(images);

    const kit = await call('GET', `/api/appeals/${appeal.json().appealId}/kit`, 'chair-olga');
    const found = (
      await Promise.all((await decodeAll(new Uint8Array(kit.rawPayload))).map(whatIdentifies))
    ).flat();
    expect(found).toEqual(expect.arrayContaining(secrets));
  });
});
