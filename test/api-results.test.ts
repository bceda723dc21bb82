/**
 * Results over HTTP (issue 16 item 1) on the embedded service with the shipped 2026 scoring of EGE
 * mathematics (profile): an operator records a work's variant, a chair computes the exam's results and lists
 * them, refusals come as the error table's codes; chairs take them out (issue 16 item 3), each export audited.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSubjectRules } from '../domain/checking.ts';
import { loadSubjectScoring, scoringDigest } from '../domain/scoring.ts';
import { configFromEnv } from '../platform/config.ts';
import { jobId } from '../platform/queues.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { shippedBasis } from '../results/basis.ts';
import { computeResults, listResults } from '../results/store.ts';
import { type RunningService, startService } from '../service/run.ts';
import { MOSCOW_EGE_02, seedAs1Work } from './helpers.ts';

const SCORING = loadSubjectScoring(2026).find((s) => s.subject === 'mathematics-profile')!;
const RULES = loadSubjectRules(2026).find((r) => r.subject === 'mathematics-profile')!;
const KEY = SCORING.variants['101']!;
const EXAM = MOSCOW_EGE_02.id;

let service: RunningService;
let dir: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rcoi-api-results-'));
  service = await startService(configFromEnv({ RCOI_DATA_DIR: dir }), { pollMs: 60_000 });
  const db = service.adapters.db;
  for (const role of ['operator', 'chair', 'expert'] as const)
    tokens[role] = await issueUser(db, { id: `results-${role}`, name: role, role });
  await registerExam(db, MOSCOW_EGE_02);
  // Every short answer right but task 1; the experts' result: full marks on task 13, nothing else.
  const values = Object.fromEntries(Object.entries(KEY).map(([t, k]) => [t, [k].flat()[0]!]));
  await seedAs1Work(db, EXAM, 'WRES01', { final: true, values: { ...values, '1': '999' } });
  const scores = Object.fromEntries(RULES.tasks.flatMap((t) => t.criteria.map((c) => [c.id, 0])));
  const max13 = RULES.tasks.find((t) => t.task === '13')!.criteria.reduce((a, c) => a + c.max, 0);
  for (const c of RULES.tasks.find((t) => t.task === '13')!.criteria) scores[c.id] = c.max;
  await db.query(
    `insert into work_results (work_id, scores, total, basis) values ('WRES01', $1, $2, 'two-experts')`,
    [JSON.stringify(scores), max13],
  );
}, 120_000);

afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = (method: 'GET' | 'POST' | 'PUT', url: string, who: string, payload?: object) =>
  service.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload && { payload }),
  });

describe('results over HTTP', () => {
  it('lets an operator record the variant and a chair compute and list the results', async () => {
    expect((await call('PUT', '/api/works/WRES01/variant', 'operator', { variant: '101' })).json()).toEqual({
      workId: 'WRES01',
      variant: '101',
    });
    const computed = await call('POST', `/api/exams/${EXAM}/results`, 'chair');
    expect(computed.statusCode).toBe(200);
    expect(computed.json()).toMatchObject({ examId: EXAM, complete: 1, incomplete: 0, changes: [] });

    const [result] = (await call('GET', `/api/exams/${EXAM}/results`, 'chair')).json();
    const as1 = Object.keys(KEY).length - 1;
    const as2 = RULES.tasks.find((t) => t.task === '13')!.criteria.reduce((a, c) => a + c.max, 0);
    expect(result).toMatchObject({
      workId: 'WRES01',
      status: 'complete',
      as1,
      as2,
      primary: as1 + as2,
      score: (SCORING.scale as { table: number[] }).table[as1 + as2],
    });
    expect(result.tasks[0]).toEqual({ part: 'as1', task: '1', points: 0, max: 1 });
  });

  it('answers refusals with their codes', async () => {
    const refused = async (res: Awaited<ReturnType<typeof call>>) => [res.statusCode, res.json().code];
    expect(await refused(await call('POST', '/api/exams/nope/results', 'chair'))).toEqual([
      404,
      'no-such-exam',
    ]);
    expect(
      await refused(await call('PUT', '/api/works/WNONE/variant', 'operator', { variant: '7' })),
    ).toEqual([404, 'no-such-work']);
    expect(
      await refused(await call('PUT', '/api/works/WRES01/variant', 'operator', { variant: 'a b' })),
    ).toEqual([400, 'bad-request']);
    // An expert sees no results.
    expect((await call('GET', `/api/exams/${EXAM}/results`, 'expert')).statusCode).toBe(403);
  });

  it('recomputes nothing while no key has changed', async () => {
    expect((await call('POST', '/api/results/recompute', 'chair')).statusCode).toBe(403);
    tokens.admin = await issueUser(service.adapters.db, {
      id: 'results-admin',
      name: 'admin',
      role: 'admin',
    });
    const res = await call('POST', '/api/results/recompute', 'admin');
    expect(res.json()).toEqual([]);
  });

  it('recomputes, on the results stage, what was computed under a key since corrected', async () => {
    const db = service.adapters.db;
    // The results as an earlier key (task 1 of variant 101 keyed 999) gave them: one point more.
    const earlier = { ...SCORING, variants: { ...SCORING.variants, '101': { ...KEY, '1': '999' } } };
    await computeResults(db, shippedBasis({ scoring: () => [earlier] }), EXAM, 'results-chair');
    const [before] = await listResults(db, EXAM);
    expect(before!.scoring).toBe(scoringDigest(earlier));

    await service.queues.add('results', jobId('results', 'test'), { runBy: 'results-recompute' });
    await service.idle();
    const [after] = await listResults(db, EXAM);
    expect(after!.scoring).toBe(scoringDigest(SCORING));
    expect(after!.primary).toBe(before!.primary! - 1);
    const audited = await db.query<{ actor: string; detail: { primary: number[] } }>(
      `select actor, detail from audit_events where action = 'results.changed' and subject = 'work:WRES01'`,
    );
    expect(audited.map((a) => [a.actor, a.detail.primary])).toEqual([
      ['results-chair', [after!.primary, before!.primary]],
      ['results-recompute', [before!.primary, after!.primary]],
    ]);
  });

  it('takes the results out for chairs only: a file by layout, protocols, the publication package, audited', async () => {
    const csv = await call('GET', `/api/exams/${EXAM}/results/export?layout=regional`, 'chair');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=windows-1251');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="${EXAM}-regional.csv"`);
    expect([csv.headers['x-rows'], csv.headers['x-withheld']]).toEqual(['1', '0']);
    expect(new TextDecoder('windows-1251').decode(csv.rawPayload).split('\r\n')[1]).toMatch(/^WRES01;/);

    const pdf = await call('GET', `/api/exams/${EXAM}/results/protocols?by=school`, 'chair');
    expect([pdf.statusCode, pdf.headers['content-type']]).toEqual([200, 'application/pdf']);
    expect((await PDFDocument.load(pdf.rawPayload)).getPageCount()).toBe(1);

    const zip = await call('GET', `/api/exams/${EXAM}/results/publication`, 'chair');
    expect([zip.statusCode, zip.headers['content-type']]).toEqual([200, 'application/zip']);
    expect(Object.keys(unzipSync(zip.rawPayload)).sort()).toEqual(['WRES01/as1.txt', 'WRES01/results.csv']);
    const one = await call('GET', `/api/exams/${EXAM}/results/publication?work=WRES01`, 'chair');
    expect(one.headers['content-disposition']).toBe(`attachment; filename="${EXAM}-WRES01.zip"`);
    expect(Object.keys(unzipSync(one.rawPayload)).sort()).toEqual(['WRES01/as1.txt', 'WRES01/results.csv']);

    const refused = async (url: string, who = 'chair') => {
      const res = await call('GET', url, who);
      return [res.statusCode, res.json().code];
    };
    expect(await refused(`/api/exams/${EXAM}/results/export?layout=nope`)).toEqual([404, 'no-such-layout']);
    expect(await refused(`/api/exams/${EXAM}/results/export?layout=../x`)).toEqual([400, 'bad-request']);
    expect(await refused(`/api/exams/${EXAM}/results/protocols?by=room`)).toEqual([400, 'bad-request']);
    expect(await refused(`/api/exams/nope/results/publication`)).toEqual([404, 'no-such-exam']);
    expect(await refused(`/api/exams/${EXAM}/results/publication?work=WNONE`)).toEqual([404, 'no-such-work']);
    for (const url of ['export?layout=regional', 'protocols?by=ppe', 'publication'])
      expect((await call('GET', `/api/exams/${EXAM}/results/${url}`, 'operator')).statusCode).toBe(403);

    const audited = await service.adapters.db.query<{ action: string; actor: string; rows: number }>(
      `select action, actor, (detail->>'rows')::int as rows from audit_events
       where action like 'export.%' and subject = $1 order by id`,
      [`exam:${EXAM}`],
    );
    expect(audited).toEqual([
      { action: 'export.results', actor: 'results-chair', rows: 1 },
      { action: 'export.results-protocols', actor: 'results-chair', rows: 1 },
      { action: 'export.publication', actor: 'results-chair', rows: 1 },
      { action: 'export.publication', actor: 'results-chair', rows: 1 },
    ]);
  });
});
