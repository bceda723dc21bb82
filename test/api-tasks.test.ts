/**
 * The stations' routine tasks over HTTP on the demo service: the README's example batch.json is taken as
 * written; exams are listed with their subject's name; a chair lists who may check and learns why a pull
 * came short; an expert saves a draft of scores and finds it again with the check.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerExpert, shippedRules } from '../checking/store.ts';
import { issueUser } from '../platform/store/users.ts';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { type DemoService, ELIGIBLE, seedWork, startDemo } from './helpers.ts';

let demo: DemoService;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  demo = await startDemo('rcoi-api-tasks-');
  Object.assign(tokens, demo.tokens);
  const db = demo.service.adapters.db;
  for (const [id, role] of [
    ['expert-anna', 'expert'],
    ['lead-lev', 'expert'],
  ] as const)
    tokens[id] = await issueUser(db, { id, name: id, role });
  for (const [userId, status] of [
    ['expert-anna', 'main'],
    ['lead-lev', 'leading'],
  ] as const)
    await registerExpert(db, { userId, year: 2026, subjectCode: '02', status, ...ELIGIBLE });
  await seedWork(db, shippedRules(), 'WTASK01', []);
}, 120_000);

afterAll(() => demo?.stop());

const call = (method: 'GET' | 'POST' | 'PUT', url: string, who: string, payload?: object) =>
  demo.service.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload && { payload }),
  });

describe('station tasks over HTTP', () => {
  it("takes the README's example batch.json as written on the demo", async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /`(\{"batch": "r12-001".*?\})`/s.exec(readme)?.[1];
    expect(example).toBeDefined();
    const folder = join(demo.service.inbox, 'readme-example');
    mkdirSync(folder);
    writeFileSync(join(folder, 'page-1.jpg'), readFileSync(join(CORPUS_DIR, 'ege-as2-1-scanner-8.jpg')));
    writeFileSync(join(folder, 'batch.json'), example!.replace(/\s*\n\s*/g, ' '));
    const [taken] = await demo.service.scan();
    expect(taken).toMatchObject({ folder: 'readme-example', outcome: 'ingested' });
  });

  it("lists exams with their subject's Russian name for operators and chairs", async () => {
    const exams = (await call('GET', '/api/exams', 'demo-operator')).json();
    expect(exams).toEqual([
      expect.objectContaining({ id: '2026-ege-02', subjectName: 'Математика (профильный уровень)' }),
    ]);
    expect((await call('GET', '/api/exams', 'demo-verifier')).statusCode).toBe(403);
  });

  it('lets a chair list who may check and see why a pull gave an expert nothing', async () => {
    const listed = await call('GET', '/api/checking/experts?year=2026&subject=02', 'demo-chair');
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          userId: 'lead-lev',
          registration: expect.objectContaining({ status: 'leading' }),
        }),
        expect.objectContaining({ userId: 'demo-chair', registration: null }),
      ]),
    );
    expect((await call('GET', '/api/checking/experts?year=2026&subject=02', 'expert-anna')).statusCode).toBe(
      403,
    );
    // Anna takes the first check; the second is of her work, so her own pull is short for that reason.
    expect((await call('POST', '/api/checking/next', 'expert-anna')).statusCode).toBe(200);
    const pull = await call('POST', '/api/checking/pull', 'demo-chair', {
      expertId: 'expert-anna',
      count: 3,
    });
    expect(pull.json()).toEqual({ checks: [], shortfall: [{ code: 'own-works', params: { checks: 1 } }] });
  });

  it('keeps an expert draft of scores with the check, refusing one out of range with a code', async () => {
    const view = (await call('POST', '/api/checking/next', 'expert-anna')).json();
    expect(view.draft).toBeNull();
    expect(view.tasks[0].criteria[0].scheme[0]).toEqual({
      points: 2,
      text: expect.stringMatching(/^Обоснованно/),
    });
    const save = (scores: object) =>
      call('PUT', `/api/checking/checks/${view.id}/draft`, 'expert-anna', { scores });
    expect((await save({ '13': 1, '15': 2 })).statusCode).toBe(200);
    const bad = await save({ '13': 9 });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('bad-scores');
    expect((await call('GET', `/api/checking/checks/${view.id}`, 'expert-anna')).json().draft).toEqual({
      '13': 1,
      '15': 2,
    });
    expect(
      (await call('PUT', `/api/checking/checks/${view.id}/draft`, 'lead-lev', { scores: {} })).statusCode,
    ).toBe(403);
  });
});
