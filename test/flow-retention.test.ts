/**
 * The retention sweeper with an injected clock, on the embedded default and on PostgreSQL with the S3 server:
 * nothing is deleted before its day begins in its exam's region, holds keep objects and are reported on every
 * run, and each destruction is an act listing what went, when, by which policy, with the objects' hashes.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestBatch } from '../intake/ingest.ts';
import type { Adapters } from '../platform/adapters.ts';
import { type Database, pgliteDatabase, postgresDatabase } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { folderObjectStore, type ObjectStore, s3ObjectStore } from '../platform/objects.ts';
import { registerExam } from '../platform/store/exams.ts';
import { placeHold, releaseHold } from '../retention/holds.ts';
import { sweepRetention } from '../retention/stage.ts';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { MOSCOW_EGE_02 } from './helpers.ts';
import { freshPostgresDatabase, testServices } from './services.ts';

const file = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(join(CORPUS_DIR, name))) });

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

const backends: [string, () => Promise<Adapters>][] = [
  [
    'embedded (PGlite, folder)',
    async () => {
      const db: Database = await pgliteDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'rcoi-retention-'));
      cleanup.push(
        () => db.close(),
        () => rmSync(dir, { recursive: true, force: true }),
      );
      return { db, objects: folderObjectStore(dir) };
    },
  ],
  [
    'services (PostgreSQL, S3)',
    async () => {
      const db = postgresDatabase(await freshPostgresDatabase());
      cleanup.push(() => db.close());
      const objects: ObjectStore = await s3ObjectStore({
        ...testServices().s3,
        bucket: `rcoi-retention-${Date.now().toString(36)}`,
      });
      return { db, objects };
    },
  ],
];

describe.each(backends)('retention sweeper on %s', (_name, make) => {
  it('destroys each object when its 1 March begins where its exam was sat, holds excepted', async () => {
    const deps = await make();
    const { db, objects } = deps;
    await migrate(db);
    const exam = { kind: 'EGE', subjectCode: '02', date: '2026-06-01' } as const;
    await registerExam(db, { ...exam, id: 'msk', region: '77', timeZone: 'Europe/Moscow' });
    await registerExam(db, { ...exam, id: 'kam', region: '41', timeZone: 'Asia/Kamchatka' });
    const batch = (exam: string, names: string[]) =>
      ingestBatch(deps, { batch: `${exam}-1`, station: 's', exam, declared: {} }, 'upload', names.map(file));
    await batch('msk', ['ege-as2-1-scanner-8.jpg', 'ege-as2-2-scanner-9-blank.jpg']);
    await batch('kam', ['ege-as2-additional-scanner-10.jpg']);
    const keysOf = async (exam: string) =>
      (
        await db.query<{ object_key: string }>(
          'select object_key from stored_objects where exam_id = $1 order by 1',
          [exam],
        )
      ).map((r) => r.object_key);
    const [msk1, msk2] = await keysOf('msk');
    const [kam1] = await keysOf('kam');
    const exists = async (key: string) => (await objects.stat(key)) !== null;
    const holdId = await placeHold(
      deps,
      { objectKey: msk2! },
      'admin-irina',
      'appeal pending in the conflict commission',
    );

    // A second before Kamchatka's 1 March: nothing goes, everything is listed as coming.
    let r = await sweepRetention(deps, new Date('2027-02-28T11:59:59Z'), 'sweeper');
    expect(r.destroyed).toEqual([]);
    expect(r.actId).toBeNull();
    expect(r.upcoming.map((u) => u.key).sort()).toEqual([msk1, msk2, kam1].sort());
    // The S3 store holds the held object itself, and expires the rest only after Moscow's 1 March ends.
    if (objects.kind === 's3') {
      expect(objects.enforcesHolds).toBe(true);
      await expect(objects.delete(msk2!)).rejects.toThrow(/legal hold/);
      expect(r.backstops).toEqual([{ prefix: '2026/scan-file/', from: '2027-03-02T00:00:00.000Z' }]);
    } else expect(r.backstops).toBeNull();
    for (const k of [msk1!, msk2!, kam1!]) expect(await exists(k)).toBe(true);

    // Kamchatka's 1 March has begun, Moscow's has not.
    r = await sweepRetention(deps, new Date('2027-02-28T12:00:00Z'), 'sweeper');
    expect(r.destroyed).toEqual([{ key: kam1, material: 'scan-file', dueDay: '2027-03-01', late: false }]);
    expect(await exists(kam1!)).toBe(false);
    expect(await exists(msk1!)).toBe(true);

    // Moscow's has: the held object stays and is reported, with who holds it and why.
    r = await sweepRetention(deps, new Date('2027-02-28T21:00:00Z'), 'sweeper');
    expect(r.destroyed.map((d) => d.key)).toEqual([msk1]);
    expect(r.heldPastDate).toEqual([
      {
        key: msk2,
        material: 'scan-file',
        dueDay: '2027-03-01',
        holds: [{ by: 'admin-irina', reason: 'appeal pending in the conflict commission' }],
      },
    ]);
    expect(await exists(msk2!)).toBe(true);
    // Every run reports it again, and destroys nothing twice.
    r = await sweepRetention(deps, new Date('2027-03-01T09:00:00Z'), 'sweeper');
    expect(r.destroyed).toEqual([]);
    expect(r.heldPastDate.map((h) => h.key)).toEqual([msk2]);

    // Released after the day: destroyed, and marked late.
    await releaseHold(deps, holdId, 'admin-irina');
    r = await sweepRetention(deps, new Date('2027-03-05T09:00:00Z'), 'sweeper');
    expect(r.destroyed).toEqual([{ key: msk2, material: 'scan-file', dueDay: '2027-03-01', late: true }]);
    expect(await exists(msk2!)).toBe(false);
    if (objects.kind === 's3') expect(r.backstops).toEqual([]);

    // The acts: what, when, by whom, under which policy set, with each object's hash.
    const acts = await db.query<{ id: number; run_by: string; items: number; hashes: string[] }>(
      `select a.id, a.run_by, count(i.*)::int as items, array_agg(i.sha256 order by i.object_key) as hashes
       from destruction_acts a join destruction_act_items i on i.act_id = a.id group by a.id order by a.id`,
    );
    expect(acts.map((a) => a.items)).toEqual([1, 1, 1]);
    const stored = await db.query<{ sha256: string; destroyed_at: Date | null }>(
      'select sha256, destroyed_at from stored_objects order by object_key',
    );
    expect(stored.every((s) => s.destroyed_at !== null)).toBe(true);
    expect(acts.flatMap((a) => a.hashes).sort()).toEqual(stored.map((s) => s.sha256).sort());
    const [policies] = await db.query<{ n: number }>('select count(*)::int as n from retention_policy_sets');
    expect(policies?.n).toBe(1);
    const audits = await db.query<{ action: string }>(
      `select action from audit_events where action like 'retention.%' order by id`,
    );
    expect(audits.map((a) => a.action)).toEqual([
      'retention.hold',
      'retention.destroy',
      'retention.destroy',
      'retention.release',
      'retention.destroy',
    ]);
  });

  it('holds every object of an exam with one hold, and refuses a hold without a reason', async () => {
    const deps = await make();
    const { db } = deps;
    await migrate(db);
    await registerExam(db, { ...MOSCOW_EGE_02, id: 'msk' });
    await ingestBatch(
      deps,
      { batch: 'b', station: 's', exam: 'msk', declared: {} },
      'upload',
      ['ege-as2-1-scanner-8.jpg', 'ege-protocol-scanner-11.jpg'].map(file),
    );
    await expect(placeHold(deps, { examId: 'msk' }, 'admin', ' ')).rejects.toThrow(/reason/);
    await placeHold(deps, { examId: 'msk' }, 'gek-chair', 'annulment under review');
    const r = await sweepRetention(deps, new Date('2027-04-01T00:00:00Z'), 'sweeper');
    expect(r.destroyed).toEqual([]);
    expect(r.heldPastDate).toHaveLength(2);
  });
});
