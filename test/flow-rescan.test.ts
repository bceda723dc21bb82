import { describe, expect, it } from 'vitest';
import { shippedForms } from '../forms/definitions.ts';
import { ingestBatch } from '../intake/ingest.ts';
import { batchReport } from '../intake/store.ts';
import type { Adapters } from '../platform/adapters.ts';
import type { Database } from '../platform/db.ts';
import { registerExam } from '../platform/store/exams.ts';
import { recognisePageStage } from '../recognition/stage.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import { decide, takeNextTask } from '../verification/store.ts';
import { chooseScan, SheetError } from '../works/store/sheets.ts';
import { corpusTruth, MOSCOW_EGE_02 } from './helpers.ts';
import { DATABASES, freshAdapters, undoAfterAll } from './services.ts';

const forms = shippedForms();
const files = corpusFiles();
const undo = undoAfterAll();

async function ingestAndRecognise(deps: Adapters, batch: string, batchFiles: typeof files) {
  const r = await ingestBatch(
    deps,
    { batch, station: 's1', exam: MOSCOW_EGE_02.id, declared: {} },
    'upload',
    batchFiles,
  );
  for (const id of r.newPages) await recognisePageStage(deps, forms, id);
  return r;
}

const tasksOf = (db: Database, pageId: string) =>
  db.query<{ id: number; field: string; status: string }>(
    'select id, field, status from verification_tasks where page_id = $1 order by id',
    [pageId],
  );

describe.each(DATABASES)('a sheet scanned twice on %s', (_name, open) => {
  it('verifies only the standing scan, and lets an operator make the rescan stand instead', async () => {
    const deps = await freshAdapters(open, undo, 'rcoi-rescan');
    const { db } = deps;
    await registerExam(db, MOSCOW_EGE_02);
    await ingestAndRecognise(deps, 'first', files);
    // An answer sheet 1 with doubts, fed again at the end of the day: a new file of the same sheet.
    const [first] = await db.query<{ id: string; sheet_number: string; source_name: string }>(
      `select p.id, p.sheet_number, b.source_name from pages p join batch_items b on b.image_sha256 = p.image_sha256
       where p.status = 'needs-verification' and p.form = 'ege-as1-2023' and p.sheet_number is not null
       order by p.id limit 1`,
    );
    const file = files.find((f) => f.name === first!.source_name)!;
    const again = await ingestAndRecognise(deps, 'rescan', [
      {
        name: `again-${file.name}`,
        bytes: new Uint8Array(Buffer.concat([file.bytes, Buffer.from('\nrescan')])),
      },
    ]);
    const rescan = again.newPages[0]!;
    const held = await tasksOf(db, rescan);
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((t) => t.status === 'held')).toBe(true);
    const report = await batchReport(db, forms, again.batchId);
    expect(report!.rescans).toEqual([
      {
        sheetNumber: first!.sheet_number,
        pages: [
          { pageId: first!.id, status: 'needs-verification', standing: true },
          { pageId: rescan, status: 'needs-verification', standing: false },
        ],
      },
    ]);
    expect(report!.reconciliation.discrepancies).toContain(`sheet ${first!.sheet_number} scanned 2 times`);

    // A verifier is never handed a held doubt. This one takes every task and keeps them (holding all taken,
    // so each is a new one); the verifier below is another, so it is not handed these leases back.
    const seen: string[] = [];
    const taken: number[] = [];
    const looker = { id: 'looker', senior: true };
    for (
      let t = await takeNextTask(db, looker);
      t;
      t = await takeNextTask(db, looker, undefined, undefined, taken)
    ) {
      seen.push(t.pageId);
      taken.push(t.id);
    }
    expect(seen).toContain(first!.id);
    expect(seen).not.toContain(rescan);

    await expect(chooseScan(db, '0000000000000', rescan, 'op', 'x')).rejects.toThrow(SheetError);
    await expect(chooseScan(db, first!.sheet_number, 'nope#1', 'op', 'x')).rejects.toThrow(
      /not a recognised scan/,
    );
    const choice = await chooseScan(db, first!.sheet_number, rescan, 'op', 'the first scan is smudged');
    expect(choice).toEqual({
      sheetNumber: first!.sheet_number,
      pageId: rescan,
      previous: first!.id,
      status: 'needs-verification',
    });
    expect((await tasksOf(db, first!.id)).every((t) => t.status === 'held')).toBe(true);
    expect((await tasksOf(db, rescan)).every((t) => t.status === 'open')).toBe(true);

    // The rescan's doubts verified against the truth: the sheet is final, on the rescan.
    for (
      let t = await takeNextTask(db, { id: 'v', senior: true });
      t;
      t = await takeNextTask(db, { id: 'v', senior: true })
    ) {
      expect(t.pageId).toBe(rescan);
      const truth = corpusTruth(files, first!.id, t.field) ?? '';
      await decide(
        db,
        forms,
        { id: 'v', senior: true },
        t.id,
        truth === t.value ? { action: 'confirm' } : { action: 'correct', value: truth },
      );
    }
    const [sheet] = await db.query<{ page_id: string; status: string }>(
      'select page_id, status from sheets where sheet_number = $1',
      [first!.sheet_number],
    );
    expect(sheet).toEqual({ page_id: rescan, status: 'final' });
    const [audited] = await db.query<{ actor: string; detail: { from: string; to: string; reason: string } }>(
      `select actor, detail from audit_events where action = 'sheet.scan-chosen'`,
    );
    expect(audited).toEqual({
      actor: 'op',
      detail: { from: first!.id, to: rescan, reason: 'the first scan is smudged' },
    });
  }, 120_000);
});
