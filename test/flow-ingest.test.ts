/**
 * A scanner batch from delivery to recognised pages and verification tasks, on the embedded default (PGlite
 * and a folder) and on the real services (PostgreSQL and the S3 server): idempotent delivery, one
 * recognition per page, count reconciliation.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatchManifest } from '../domain/batch.ts';
import { shippedForms } from '../forms/definitions.ts';
import { ingestBatch, UnknownExamError } from '../intake/ingest.ts';
import { batchReport } from '../intake/store.ts';
import { sha256 } from '../pipeline/page-job.ts';
import type { Adapters } from '../platform/adapters.ts';
import { type Database, pgliteDatabase, postgresDatabase } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { folderObjectStore, type ObjectStore, s3ObjectStore } from '../platform/objects.ts';
import { registerExam } from '../platform/store/exams.ts';
import { recognisePageStage } from '../recognition/stage.ts';
import { corpusDeclared, corpusExpected, corpusFiles } from '../samples/make-corpus.ts';
import { expectedVerification, MOSCOW_EGE_02 } from './helpers.ts';
import { freshPostgresDatabase, testServices } from './services.ts';

const forms = shippedForms();
const expected = corpusExpected();
const corpus = corpusFiles();
const declared = corpusDeclared();
const manifest = (batch: string): BatchManifest => ({
  batch,
  station: 'ppe-0101-scan-1',
  exam: '2026-ege-02',
  ppe: '0101',
  room: '12',
  declared,
});

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

const backends: [string, () => Promise<{ deps: Adapters; second: () => Database }>][] = [
  [
    'embedded (PGlite, folder)',
    async () => {
      const db = await pgliteDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'rcoi-flow-'));
      cleanup.push(
        () => db.close(),
        () => rmSync(dir, { recursive: true, force: true }),
      );
      return { deps: { db, objects: folderObjectStore(dir) }, second: () => db };
    },
  ],
  [
    'services (PostgreSQL, S3)',
    async () => {
      const url = await freshPostgresDatabase();
      const db = postgresDatabase(url);
      const objects: ObjectStore = await s3ObjectStore({
        ...testServices().s3,
        bucket: `rcoi-flow-${Date.now().toString(36)}`,
      });
      const second = postgresDatabase(url);
      cleanup.push(
        () => db.close(),
        () => second.close(),
      );
      return { deps: { db, objects }, second: () => second };
    },
  ],
];

describe.each(backends)('batch flow on %s', (_name, make) => {
  it('stores each file once, recognises each page once, and reconciles the counts', async () => {
    const { deps, second } = await make();
    const { db } = deps;
    await migrate(db);
    await expect(ingestBatch(deps, manifest('b1'), 'hot-folder', corpus)).rejects.toBeInstanceOf(
      UnknownExamError,
    );
    await registerExam(db, MOSCOW_EGE_02);

    const first = await ingestBatch(deps, manifest('b1'), 'hot-folder', corpus);
    expect(first.newImages).toBe(corpus.length);
    expect(first.newPages).toHaveLength(Object.keys(expected).length);
    // The same batch again, and another batch sharing one file: nothing new is stored.
    const again = await ingestBatch(deps, manifest('b1'), 'hot-folder', corpus);
    expect(again).toMatchObject({
      batchId: first.batchId,
      newImages: 0,
      duplicates: corpus.length,
      newPages: [],
    });
    const other = await ingestBatch(deps, manifest('b2'), 'upload', corpus.slice(0, 1));
    expect(other).toMatchObject({ newImages: 0, duplicates: 1, newPages: [] });
    const objects = await deps.objects.list('2026/scan-file/');
    expect(objects).toHaveLength(corpus.length);

    // Two workers on the same pages at once (on PostgreSQL, two connections): each page is written once.
    const [a, b] = [deps, { ...deps, db: second() }];
    const outcomes = await Promise.all(
      first.newPages.flatMap((id) => [recognisePageStage(a, forms, id), recognisePageStage(b, forms, id)]),
    );
    expect(outcomes.filter((o) => o !== 'already-done')).toHaveLength(first.newPages.length);
    expect(await recognisePageStage(deps, forms, first.newPages[0]!)).toBe('already-done');

    const pages = await db.query<{
      id: string;
      status: string;
      form: string | null;
      sheet_number: string | null;
    }>('select id, status, form, sheet_number from pages order by id');
    // Each page as the golden corpus records it, found by the SHA-256 of its file and its number.
    for (const [key, golden] of Object.entries(expected)) {
      const [name, n] = key.split('#');
      const file = corpus.find((f) => f.name === name)!;
      const page = pages.find((p) => p.id === `${sha256(file.bytes)}#${n}`);
      expect(page, key).toMatchObject({
        status: golden.status,
        form: golden.form,
        sheet_number: golden.sheetNumber ?? null,
      });
    }

    // Every doubtful field has a task; accepted fields carry their final value.
    const [counts] = await db.query<{ doubtful: number; tasks: number; accepted_unset: number }>(
      `select (select count(*)::int from fields where status = 'doubtful') as doubtful,
              (select count(*)::int from verification_tasks) as tasks,
              (select count(*)::int from fields where status = 'accepted' and final_value is null) as accepted_unset`,
    );
    expect(counts).toEqual({ ...expectedVerification(expected), accepted_unset: 0 });
    const [fieldRows] = await db.query<{ n: number }>('select count(*)::int as n from fields');
    expect(fieldRows?.n).toBe(Object.values(expected).reduce((n, p) => n + Object.keys(p.fields).length, 0));

    const report = await batchReport(db, forms, first.batchId);
    expect(report?.files).toBe(corpus.length);
    expect(report?.reconciliation.pendingPages).toBe(0);
    expect(report?.reconciliation.discrepancies).toEqual([
      `received ${Object.keys(expected).length} pages, declared ${Object.keys(expected).length - 2}`,
      '2 pages rejected or unidentified',
    ]);
  });
});
