/**
 * Group verification's store on the embedded default and on PostgreSQL: a group is one kind of field, the
 * most doubtful first, never a field leased twice; its decisions stand one by one, each recorded and audited;
 * a field sent out of groups goes to the one-by-one station only.
 */

import { describe, expect, it } from 'vitest';
import { groupKey } from '../domain/verification-group.ts';
import { shippedForms } from '../forms/definitions.ts';
import type { Database } from '../platform/db.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import { decideGroup, releaseGroup, takeGroup } from '../verification/store/group.ts';
import { takeNextTask } from '../verification/store.ts';
import { corpusTruth, recogniseCorpus } from './helpers.ts';
import { DATABASES, freshAdapters, undoAfterAll } from './services.ts';

const forms = shippedForms();
const files = corpusFiles();
const undo = undoAfterAll();

async function recognisedCorpus(open: () => Promise<Database>): Promise<Database> {
  const deps = await freshAdapters(open, undo, 'rcoi-verify-group');
  await recogniseCorpus(deps, forms);
  return deps.db;
}

const ana = { id: 'verifier-ana', senior: false };
const boris = { id: 'verifier-boris', senior: false };

describe('the group a doubtful field belongs to', () => {
  const field = { form: 'ege-as2-1', field: 'answer.3', doubt: ['low-confidence-character'] };
  it('is its doubtful character when every doubt is about cells reading as that one symbol', () => {
    const cells = [
      { cell: 2, reason: 'low-confidence-character' },
      { cell: 4, reason: 'low-confidence-character' },
    ];
    expect(groupKey({ ...field, value: '1737', cells }, 'character')).toEqual({
      kind: 'character',
      key: '7',
    });
    // Two symbols in doubt, a doubt outside the cells, or grouping asked by field: the field's group.
    const byField = { kind: 'field', key: 'ege-as2-1/answer.3' };
    expect(groupKey({ ...field, value: '1735', cells }, 'character')).toEqual(byField);
    const gap = { ...field, doubt: [...field.doubt, 'gap-in-answer'], value: '1737', cells };
    expect(groupKey(gap, 'character')).toEqual(byField);
    expect(groupKey({ ...field, value: '1737', cells }, 'field')).toEqual(byField);
    expect(groupKey({ ...field, doubt: ['marginal-mark'], value: 'A', cells: [] }, 'character')).toEqual(
      byField,
    );
  });
});

describe.each(DATABASES)('group verification on %s', (_name, open) => {
  it('leases one kind at a time, most doubtful first, each field to one verifier only', async () => {
    const db = await recognisedCorpus(open);
    const [{ priority: least } = { priority: -1 }] = await db.query<{ priority: number }>(
      `select min(priority) as priority from verification_tasks where status = 'open'`,
    );
    const first = (await takeGroup(db, ana, { by: 'field', size: 40 }))!;
    expect(first.kind).toBe('field');
    const [head] = await db.query<{ priority: number }>(
      'select priority from verification_tasks where id = $1',
      [first.tasks[0]!.id],
    );
    expect(head!.priority).toBe(least);
    for (const t of first.tasks) expect(`${t.form}/${t.field}`).toBe(first.key);

    // Five verifiers at once: five groups, no field in two of them, each leased to its verifier.
    const groups = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        takeGroup(db, { id: `v${i}`, senior: false }, { by: 'character', size: 6 }),
      ),
    );
    const ids = [...first.tasks, ...groups.flatMap((g) => g?.tasks ?? [])].map((t) => t.id);
    expect(ids.length).toBeGreaterThanOrEqual(first.tasks.length + 5);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [i, g] of groups.entries()) {
      expect(g!.tasks.length).toBeLessThanOrEqual(6);
      for (const t of g!.tasks) {
        expect(groupKey(t, 'character')).toEqual({ kind: g!.kind, key: g!.key });
        const [row] = await db.query<{ leased_by: string }>(
          'select leased_by from verification_tasks where id = $1',
          [t.id],
        );
        expect(row!.leased_by).toBe(`v${i}`);
      }
    }
    // A reload: Ana's station holds nothing, and her own group comes back first, not locked away from her.
    const back = (await takeGroup(db, ana, { by: 'field', size: 40 }))!;
    expect(back.tasks.map((t) => t.id)).toEqual(first.tasks.map((t) => t.id));

    // The rest, group after group: every open field once, in groups of one kind, characters among them.
    const rest: NonNullable<Awaited<ReturnType<typeof takeGroup>>>[] = [];
    const holding = first.tasks.map((t) => t.id);
    for (let g = await takeGroup(db, ana, { by: 'character', size: 40, holding }); g; ) {
      rest.push(g);
      holding.push(...g.tasks.map((t) => t.id));
      for (const t of g.tasks) expect(groupKey(t, 'character')).toEqual({ kind: g.kind, key: g.key });
      g = await takeGroup(db, ana, { by: 'character', size: 40, holding });
    }
    const all = [...ids, ...rest.flatMap((g) => g.tasks.map((t) => t.id))];
    expect(new Set(all).size).toBe(all.length);
    const [{ n } = { n: -1 }] = await db.query<{ n: number }>(
      'select count(*)::int as n from verification_tasks',
    );
    expect(all.length).toBe(n);
    expect(rest.some((g) => g.kind === 'character' && g.tasks.length >= 3)).toBe(true);
  }, 120_000);

  it('decides a group field by field: each recorded and audited, a refusal beside the rest, solo left out', async () => {
    const db = await recognisedCorpus(open);
    // Ana leases groups until one has three fields or more (the smaller ones stay hers, undecided).
    const held: number[] = [];
    const take = async () => {
      const g = (await takeGroup(db, ana, { by: 'character', size: 40, holding: held }))!;
      held.push(...g.tasks.map((t) => t.id));
      return g;
    };
    let group = await take();
    while (group.tasks.length < 3) group = await take();
    const [bad, solo, ...rest] = group.tasks;
    const truth = (t: (typeof rest)[number]) => corpusTruth(files, t.pageId, t.field) ?? t.value;
    const { outcomes } = await decideGroup(db, forms, ana, [
      { task: bad!.id, decision: { action: 'correct', value: '§' } },
      { task: solo!.id, decision: { action: 'solo' } },
      ...rest.map((t) => ({
        task: t.id,
        decision:
          truth(t) === t.value
            ? { action: 'confirm' as const }
            : { action: 'correct' as const, value: truth(t) },
      })),
    ]);
    expect(outcomes[0]).toMatchObject({ task: bad!.id, ok: false, code: 'bad-value' });
    expect(outcomes.slice(1).every((o) => o.ok)).toBe(true);

    // Boris cannot decide what Ana holds; Ana cannot decide twice.
    const again = await decideGroup(db, forms, boris, [{ task: bad!.id, decision: { action: 'confirm' } }]);
    expect(again.outcomes).toEqual([
      { task: bad!.id, ok: false, code: 'not-yours', error: expect.any(String) },
    ]);
    const twice = await decideGroup(db, forms, ana, [{ task: rest[0]!.id, decision: { action: 'confirm' } }]);
    expect(twice.outcomes[0]).toMatchObject({ ok: false, code: 'not-yours' });

    const statuses = await db.query<{ id: number; status: string; solo: boolean }>(
      'select id, status, solo from verification_tasks where id = any($1::bigint[]) order by id',
      [group.tasks.map((t) => t.id)],
    );
    const of = (id: number) => statuses.find((s) => s.id === id);
    expect(of(bad!.id)).toMatchObject({ status: 'leased', solo: false });
    expect(of(solo!.id)).toMatchObject({ status: 'open', solo: true });
    for (const t of rest) expect(of(t.id)).toMatchObject({ status: 'done' });
    const corrections = await db.query<{ task_id: number; new_value: string; actor: string }>(
      'select task_id, new_value, actor from corrections order by id',
    );
    expect(corrections).toEqual(rest.map((t) => ({ task_id: t.id, new_value: truth(t), actor: ana.id })));
    const audited = await db.query<{ action: string; subject: string }>(
      `select action, subject from audit_events where actor = $1 and action <> 'verification.take' order by id`,
      [ana.id],
    );
    expect(audited).toEqual([
      { action: 'verification.solo', subject: `${solo!.pageId}/${solo!.field}` },
      ...rest.map((t) => ({
        action: truth(t) === t.value ? 'verification.confirm' : 'verification.correct',
        subject: `${t.pageId}/${t.field}`,
      })),
    ]);

    // Ana closes her station: what she still holds goes back, audited; what she decided stays decided.
    expect(await releaseGroup(db, ana.id, [bad!.id, rest[0]!.id])).toEqual([bad!.id]);
    const [reopened] = await db.query<{ status: string; leased_by: string | null }>(
      'select status, leased_by from verification_tasks where id = $1',
      [bad!.id],
    );
    expect(reopened).toEqual({ status: 'open', leased_by: null });
    const [releaseAudit] = await db.query<{ n: number }>(
      `select count(*)::int as n from audit_events where actor = $1 and action = 'verification.release'`,
      [ana.id],
    );
    expect(releaseAudit!.n).toBe(1);

    // The field sent out of groups is never in a group again, and is the one-by-one station's.
    const left: number[] = [];
    for (let g = await takeGroup(db, boris, { by: 'field', size: 40 }); g; ) {
      left.push(...g.tasks.map((t) => t.id));
      g = await takeGroup(db, boris, { by: 'field', size: 40, holding: left });
    }
    expect(left.length).toBeGreaterThan(0);
    expect(left).not.toContain(solo!.id);
    expect((await takeNextTask(db, { id: 'verifier-vera', senior: false }))?.id).toBe(solo!.id);
  }, 120_000);
});
