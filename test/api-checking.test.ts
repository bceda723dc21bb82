import { unzipSync } from 'fflate';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedRules } from '../checking/store.ts';
import { issueUser } from '../platform/store/users.ts';
import { DEMO_EXAM, type RunningService } from '../service/run.ts';
import { type DemoService, ELIGIBLE, seedWork, startDemo } from './helpers.ts';

let service: RunningService;
let demo: DemoService;
const tokens: Record<string, string> = {};
/** Everything an expert was sent, to search for identity afterwards. */
const expertSaw: string[] = [];
const identity: string[] = [];

const work = (id: string, as2: string[], registration: string | undefined) =>
  seedWork(service.adapters.db, shippedRules(), id, as2, registration);

beforeAll(async () => {
  demo = await startDemo('rcoi-api-checking-');
  service = demo.service;
  Object.assign(tokens, demo.tokens);
  const db = service.adapters.db;
  for (const [id, role] of [
    ['chair-olga', 'chair'],
    ['expert-anna', 'expert'],
    ['expert-boris', 'expert'],
    ['expert-vera', 'expert'],
    ['senior-sergei', 'expert'],
    ['admin-ivan', 'admin'],
  ] as const)
    tokens[id] = await issueUser(db, { id, name: id, role });
  const sheets = await db.query<{ sheet_number: string; form: string }>(
    'select sheet_number, form from sheets order by sheet_number',
  );
  const of = (form: string) => sheets.filter((s) => s.form === form).map((s) => s.sheet_number);
  const registration = of('ege-registration')[0];
  // The participant as the registration form and the personal tables know them.
  const person = {
    surname: 'ЗАХАРЧЕНКО',
    name: 'ЕВДОКИЯ',
    patronymic: 'ПАНКРАТЬЕВНА',
    document: '4519 731864',
  };
  const [p] = await db.query<{ id: number }>(
    `insert into personal.participants (surname, name, patronymic, document, registration_sheet)
     values ($1, $2, $3, $4, $5) returning id`,
    [person.surname, person.name, person.patronymic, person.document, registration],
  );
  identity.push(...Object.values(person), person.document.replace(' ', ''));
  const read = await db.query<{ value: string }>(
    `select coalesce(f.final_value, f.value) as value from fields f join sheets s on s.page_id = f.page_id
     where s.sheet_number = $1 and f.name in ('surname', 'name', 'patronymic', 'document_number')
       and length(coalesce(f.final_value, f.value)) >= 4`,
    [registration],
  );
  identity.push(...read.map((r) => r.value));
  await work('WAPITEST01', [of('ege-as2-1')[0]!, of('ege-as2-2')[0]!], registration);
  await db.query('insert into personal.participant_works (participant_id, work_id) values ($1, $2)', [
    p!.id,
    'WAPITEST01',
  ]);
  await work('WAPITEST02', [], undefined);
}, 120_000);

afterAll(() => demo?.stop());

const call = async (method: 'GET' | 'POST' | 'PUT', url: string, who: string, payload?: object) => {
  const res = await service.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload && { payload }),
  });
  if (who.startsWith('expert') || who.startsWith('senior'))
    expertSaw.push(
      JSON.stringify(res.headers),
      String(res.headers['content-type']).startsWith('image/') ? '' : res.body,
    );
  return res;
};

const register = (userId: string, status: string, extra: object = {}) =>
  call('POST', '/api/checking/experts', 'chair-olga', {
    userId,
    year: 2026,
    subjectCode: '02',
    status,
    ...ELIGIBLE,
    ...extra,
  });

describe('expert checking over the API', () => {
  it('lets a chair register experts, and no one else', async () => {
    expect((await register('expert-anna', 'main')).statusCode).toBe(201);
    expect((await register('expert-boris', 'main')).statusCode).toBe(201);
    expect((await register('expert-vera', 'main')).statusCode).toBe(201);
    expect((await register('senior-sergei', 'senior')).statusCode).toBe(201);
    const operator = await register('demo-operator', 'main');
    expect(operator.statusCode).toBe(422);
    expect(operator.json()).toMatchObject({ code: 'bad-value', error: /not an expert/ });
    const byExpert = await call('POST', '/api/checking/experts', 'expert-anna', { userId: 'expert-anna' });
    expect(byExpert.statusCode).toBe(403);
    expect((await call('POST', '/api/checking/next', 'demo-verifier')).statusCode).toBe(403);
  });

  it('runs a work through two blind checks and a senior third check, showing experts no identity', async () => {
    const a = (await call('POST', '/api/checking/next', 'expert-anna')).json();
    expect(a).toMatchObject({ workCode: 'WAPITEST01', round: 'first', pages: 2, earlier: [] });
    expect(a.tasks.map((t: { task: string }) => t.task)).toEqual(['13', '14', '15', '16', '17', '18', '19']);
    const page = await call('GET', `/api/checking/checks/${a.id}/pages/1`, 'expert-anna');
    expect(page.headers['content-type']).toBe('image/png');
    // The whole form, upright: 210 x 297 mm at 5 px/mm.
    expect(await sharp(page.rawPayload).metadata()).toMatchObject({ width: 1050, height: 1485 });
    const beyond = await call('GET', `/api/checking/checks/${a.id}/pages/3`, 'expert-anna');
    expect(beyond.statusCode).toBe(404);
    expect(beyond.json()).toEqual({ code: 'no-such-page', params: {}, error: 'the work has 2 pages' });
    // Boris gets the second check of the same work and cannot open Anna's.
    const b = (await call('POST', '/api/checking/next', 'expert-boris')).json();
    expect(b).toMatchObject({ workCode: 'WAPITEST01', round: 'second' });
    expect((await call('GET', `/api/checking/checks/${a.id}`, 'expert-boris')).statusCode).toBe(403);
    expect((await call('GET', `/api/checking/checks/${a.id}/pages/1`, 'expert-boris')).statusCode).toBe(403);

    const scores = (points: number[]) => Object.fromEntries(points.map((p, i) => [String(13 + i), p]));
    const bad = await call('POST', `/api/checking/checks/${a.id}/scores`, 'expert-anna', {
      scores: scores([3, 0, 0, 0, 0, 0, 0]),
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toMatch(/13/);
    expect(
      (
        await call('POST', `/api/checking/checks/${a.id}/scores`, 'expert-anna', {
          scores: scores([2, 3, 2, 2, 3, 4, 4]),
        })
      ).json(),
    ).toEqual({ next: 'waiting' });
    expect(
      (
        await call('POST', `/api/checking/checks/${b.id}/scores`, 'expert-boris', {
          scores: scores([0, 3, 2, 2, 3, 4, 1]),
        })
      ).json(),
    ).toMatchObject({ next: 'third-check', tasks: ['13', '19'] });

    // Vera (main) never gets the third check; Sergei (senior) gets it once he has checked a work this year.
    const vera = await call('POST', '/api/checking/next', 'expert-vera');
    expect(vera.json()).toMatchObject({ workCode: 'WAPITEST02', round: 'first' });
    const own = (await call('POST', '/api/checking/next', 'senior-sergei')).json();
    expect(own).toMatchObject({ workCode: 'WAPITEST02', round: 'second' });
    await call('POST', `/api/checking/checks/${own.id}/scores`, 'senior-sergei', {
      scores: scores([1, 1, 1, 1, 1, 1, 1]),
    });
    const third = (await call('POST', '/api/checking/next', 'senior-sergei')).json();
    expect(third).toMatchObject({ workCode: 'WAPITEST01', round: 'third' });
    expect(third.tasks.map((t: { task: string }) => t.task)).toEqual(['13', '19']);
    expect(third.earlier.map((e: { round: string }) => e.round)).toEqual(['first', 'second']);
    expect(
      (
        await call('POST', `/api/checking/checks/${third.id}/scores`, 'senior-sergei', {
          scores: { '13': 1, '19': 3 },
        })
      ).json(),
    ).toEqual({ next: 'result', total: 1 + 3 + 2 + 2 + 3 + 4 + 3 });

    const views = await service.adapters.db.query<{ actor: string; subject: string }>(
      `select actor, subject from audit_events where action = 'image.view' and subject like 'check:%'`,
    );
    expect(views).toEqual([{ actor: 'expert-anna', subject: `check:${a.id}/page:1` }]);
  });

  it('lets a chair mark a reference work with its known scores, checked against the criteria', async () => {
    const scores = { '13': 2, '14': 3, '15': 2, '16': 2, '17': 3, '18': 4, '19': 4 };
    expect(
      (await call('POST', '/api/checking/reference', 'chair-olga', { workId: 'WAPITEST02', scores }))
        .statusCode,
    ).toBe(201);
    const bad = await call('POST', '/api/checking/reference', 'chair-olga', {
      workId: 'WAPITEST02',
      scores: { ...scores, '19': 9 },
    });
    expect(bad.statusCode).toBe(422);
    expect(
      (await call('POST', '/api/checking/reference', 'expert-anna', { workId: 'WAPITEST02', scores }))
        .statusCode,
    ).toBe(403);
  });

  it('gives chairs the experts’ figures and takes appeals from chairs only', async () => {
    const stats = await call('GET', '/api/checking/statistics?year=2026&subject=02', 'chair-olga');
    const byId = Object.fromEntries(
      (stats.json() as { expertId: string; checked: number; thirdByFault: number }[]).map((s) => [
        s.expertId,
        s,
      ]),
    );
    // The third expert gave 1 and 3 on tasks 13 and 19: Anna (2, 4) and Boris (0, 1) were both off.
    expect(byId['expert-anna']).toMatchObject({ checked: 1, thirdByFault: 1 });
    expect(byId['expert-boris']).toMatchObject({ checked: 1, thirdByFault: 1 });
    // Sergei scored the reference work 1 on every task: 0 of its 7 criteria match.
    expect(byId['senior-sergei']).toMatchObject({
      checked: 1,
      thirdByFault: 0,
      referenceScored: 7,
      referenceMatched: 0,
    });
    // The season's agreement as files (issue 16 item 8): the same figures as CSV, consistency charted.
    const agreement = (format: string, who = 'chair-olga') =>
      call('GET', `/api/checking/statistics/agreement?year=2026&subject=02&format=${format}`, who);
    const table = (await agreement('csv')).body.split('\r\n');
    expect(table[0]).toMatch(/^expert,status,checked,third_by_fault,consistency_percent,/);
    expect(table.filter((l) => l.startsWith('expert-anna,'))).toEqual([
      expect.stringMatching(/^expert-anna,[a-z]+,1,1,0,0,0,,0,0,/),
    ]);
    expect(table).toHaveLength(stats.json().length + 2);
    const svg = (await agreement('svg')).body;
    const checkers = (stats.json() as { checked: number }[]).filter((s) => s.checked > 0);
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(checkers.length);
    expect(svg).toMatch(/<title>expert-anna: 0<\/title>/);
    expect(svg).toMatch(/<title>senior-sergei: 100<\/title>/);
    expect((await agreement('png')).headers['content-type']).toBe('image/png');
    expect((await agreement('svg', 'expert-anna')).statusCode).toBe(403);
    expect((await call('GET', '/api/checking/statistics?year=2026', 'chair-olga')).statusCode).toBe(400);
    expect(
      (await call('GET', '/api/checking/statistics?year=2026&subject=02', 'expert-anna')).statusCode,
    ).toBe(403);
    expect(
      (await call('POST', '/api/appeals', 'expert-anna', { workId: 'WAPITEST01', reason: 'x' })).statusCode,
    ).toBe(403);
    const appeal = await call('POST', '/api/appeals', 'chair-olga', {
      workId: 'WAPITEST01',
      reason: 'task 19',
      filedOn: '2026-06-01',
    });
    expect(appeal.statusCode).toBe(201);
    expect((await call('GET', '/api/appeals', 'chair-olga')).json()).toMatchObject([
      { workCode: 'WAPITEST01', status: 'rechecking', totalBefore: 18, filedOn: '2026-06-01' },
    ]);
  });

  it('follows an appeal on the regulation’s clock: its steps, what is overdue for chairs, and /metrics', async () => {
    const [appeal] = (await call('GET', '/api/appeals', 'chair-olga')).json() as { id: number }[];
    const steps = `/api/appeals/${appeal!.id}/steps`;
    // Filed on 1 June: the entry into the regional system was due on 2 June (road map L408).
    const before = (await call('GET', steps, 'chair-olga')).json();
    expect(before.steps[0]).toMatchObject({ step: 'ris-entry', dueDay: '2026-06-02', state: 'overdue' });
    expect((await call('GET', steps, 'expert-anna')).statusCode).toBe(403);
    const listed = (await call('GET', '/api/checking/overdue', 'chair-olga')).json();
    expect(listed.appealSteps).toContainEqual(
      expect.objectContaining({ appealId: appeal!.id, step: 'ris-entry', rule: 'road map L408' }),
    );
    // No deadline set: the regulation's 10 days after the exam (road map L415, L444).
    expect(listed.exams).toContainEqual(
      expect.objectContaining({ examId: DEMO_EXAM, processingDeadline: '2026-06-11', defaulted: true }),
    );
    expect((await call('GET', '/api/checking/overdue', 'expert-anna')).statusCode).toBe(403);
    const overdueMetrics = (await call('GET', '/metrics', 'admin-ivan')).body;
    expect(overdueMetrics).toContain('rcoi_appeal_steps_overdue{step="ris-entry"} 1');
    expect(overdueMetrics).toMatch(new RegExp(`rcoi_checks_overdue\\{exam="${DEMO_EXAM}"\\} [1-9]`));

    const step = (name: string, body: object, who = 'chair-olga') =>
      call('POST', `${steps}/${name}`, who, body);
    expect((await step('ris-entry', {}, 'expert-anna')).statusCode).toBe(403);
    expect((await step('ris-entry', { doneOn: '2099-01-01' })).json()).toEqual({
      code: 'not-allowed',
      params: {},
      error: '2099-01-01 is still to come',
    });
    expect((await step('lunch', {})).statusCode).toBe(403);
    const done = await step('ris-entry', { doneOn: '2026-06-03' });
    expect(done.json().steps[0]).toMatchObject({ doneOn: '2026-06-03', state: 'late' });
    const after = (await call('GET', '/metrics', 'admin-ivan')).body;
    expect(after).toContain('rcoi_appeal_steps_overdue{step="ris-entry"} 0');
    expect(after).toContain('rcoi_appeal_steps_late_total{step="ris-entry"} 1');

    // The commission decides only once the re-check is scored.
    const decide = (body: object) => call('POST', `/api/appeals/${appeal!.id}/decision`, 'chair-olga', body);
    expect((await decide({ outcome: 'maybe' })).statusCode).toBe(400);
    expect((await decide({ outcome: 'upheld' })).json()).toEqual({
      code: 'not-allowed',
      params: {},
      error: `appeal ${appeal!.id} is still being re-checked`,
    });
    expect((await call('GET', '/api/appeals/999/steps', 'chair-olga')).statusCode).toBe(404);
  });

  it('prints the appeal kit and a batch of works as PDFs with the right pages, for chairs only', async () => {
    const { PDFDocument } = await import('pdf-lib');
    const [appeal] = (await call('GET', '/api/appeals', 'chair-olga')).json() as { id: number }[];
    const kit = await call('GET', `/api/appeals/${appeal!.id}/kit`, 'chair-olga');
    expect(kit.headers['content-type']).toBe('application/pdf');
    const doc = await PDFDocument.load(kit.rawPayload);
    // Cover; registration, AS2 sheets 1 and 2 (image + recognition results each); three protocols; result.
    expect(doc.getPageCount()).toBe(1 + 3 * 2 + 3 + 1);
    const noKit = await call('GET', '/api/appeals/999/kit', 'chair-olga');
    expect(noKit.statusCode).toBe(404);
    expect(noKit.json().code).toBe('no-such-appeal');
    expect((await call('GET', `/api/appeals/${appeal!.id}/kit`, 'expert-anna')).statusCode).toBe(403);
    const batch = await call('POST', '/api/checking/batch-pdf', 'chair-olga', { workIds: ['WAPITEST01'] });
    expect((await PDFDocument.load(batch.rawPayload)).getPageCount()).toBe(2);
    const noPages = await call('POST', '/api/checking/batch-pdf', 'chair-olga', { workIds: ['WAPITEST02'] });
    expect(noPages.statusCode).toBe(404);
    expect(noPages.json()).toEqual({
      code: 'no-such-work',
      params: {},
      error: 'work WAPITEST02 has no answer sheets 2',
    });
    const zip = await call('POST', '/api/checking/batch-zip', 'chair-olga', { workIds: ['WAPITEST01'] });
    expect(zip.headers['content-type']).toBe('application/zip');
    const files = unzipSync(new Uint8Array(zip.rawPayload));
    expect(Object.keys(files)).toEqual(['WAPITEST01/page-01.jpg', 'WAPITEST01/page-02.jpg']);
    for (const jpeg of Object.values(files))
      expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg' });
    expect(
      (await call('POST', '/api/checking/batch-zip', 'expert-anna', { workIds: ['WAPITEST01'] })).statusCode,
    ).toBe(403);
    const exports = await service.adapters.db.query<{ action: string }>(
      `select action from audit_events where action like 'export.%' order by id`,
    );
    expect(exports.map((e) => e.action)).toEqual([
      'export.appeal-kit',
      'export.works-pdf',
      'export.works-zip',
    ]);
  });

  it('lets a chair pull a batch of checks for an expert, never two checks of one work', async () => {
    await work('WAPITEST03', [], undefined);
    await work('WAPITEST04', [], undefined);
    const pull = (expertId: string, count: number, who = 'chair-olga') =>
      call('POST', '/api/checking/pull', who, { expertId, count });
    const anna = (await pull('expert-anna', 5)).json().checks as number[];
    const boris = (await pull('expert-boris', 1)).json().checks as number[];
    const checks = await service.adapters.db.query<{ id: number; work_id: string; round: string }>(
      'select id, work_id, round from checks where id = any($1) order by id',
      [[...anna, ...boris]],
    );
    // Anna gets the first check of each new work and not their second; Boris the next in hand-out order.
    expect(checks.filter((c) => anna.includes(c.id)).map((c) => [c.work_id, c.round])).toEqual([
      ['WAPITEST03', 'first'],
      ['WAPITEST04', 'first'],
    ]);
    expect(checks.filter((c) => boris.includes(c.id)).map((c) => [c.work_id, c.round])).toEqual([
      ['WAPITEST03', 'second'],
    ]);
    // A chair's batch is held without a lease: Anna's next is the first of it.
    expect((await call('POST', '/api/checking/next', 'expert-anna')).json()).toMatchObject({
      id: anna[0],
      workCode: 'WAPITEST03',
      leasedUntil: null,
    });
    expect((await pull('expert-anna', 5)).json().checks).toEqual([]);
    expect((await pull('expert-boris', 0)).statusCode).toBe(400);
    expect((await pull('expert-anna', 1, 'expert-anna')).statusCode).toBe(403);

    // On paper: the two checks in Anna's hand as one protocol (7 criteria each: two lines a work).
    const { PDFDocument } = await import('pdf-lib');
    const print = (checkIds: number[], who = 'chair-olga') =>
      call('POST', '/api/checking/protocols', who, { expertId: 'expert-anna', checkIds });
    expect((await print(anna, 'expert-anna')).statusCode).toBe(403);
    expect((await print([boris[0]!])).statusCode).toBe(409);
    const pdf = await print(anna);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect((await PDFDocument.load(pdf.rawPayload)).getPageCount()).toBe(1);
    const sheet = String(pdf.headers['x-protocols']);
    expect(sheet).toMatch(/^6\d{12}$/);
    expect((await print(anna)).statusCode).toBe(409);
    expect((await call('GET', '/api/checking/protocols?status=printed', 'chair-olga')).json()).toMatchObject([
      { sheetNumber: sheet, expertId: 'expert-anna', status: 'printed', checks: 2 },
    ]);
    const again = await call('GET', `/api/checking/protocols/${sheet}/pdf`, 'chair-olga');
    expect((await PDFDocument.load(again.rawPayload)).getPageCount()).toBe(1);
    const voided = await call('POST', `/api/checking/protocols/${sheet}/void`, 'chair-olga', {
      reason: 'spoiled',
    });
    expect(voided.json()).toEqual({ sheetNumber: sheet, status: 'void' });
    const gone = await call('GET', `/api/checking/protocols/${sheet}/pdf`, 'chair-olga');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('no-such-protocol');
    const twice = await call('POST', `/api/checking/protocols/${sheet}/void`, 'chair-olga', {
      reason: 'again',
    });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('conflict');
  });

  it('lets an administrator set an exam’s processing deadline, and chairs see what is overdue', async () => {
    const deadline = (day: unknown, who = 'admin-ivan', exam = DEMO_EXAM) =>
      call('PUT', `/api/exams/${exam}/deadline`, who, { processingDeadline: day });
    expect((await deadline('2026-06-05', 'chair-olga')).statusCode).toBe(403);
    expect((await deadline('2026-02-30')).statusCode).toBe(422);
    expect((await deadline('2026-05-31')).statusCode).toBe(422);
    expect((await deadline('2026-06-05', 'admin-ivan', 'no-such-exam')).statusCode).toBe(404);
    // Far ahead: nothing is overdue yet.
    expect((await deadline('2099-06-05')).json()).toEqual({
      id: DEMO_EXAM,
      processingDeadline: '2099-06-05',
    });
    const progress = async () =>
      (await call('GET', `/api/checking/progress?exam=${DEMO_EXAM}`, 'chair-olga')).json();
    expect((await progress()).overdue).toEqual([]);
    expect((await deadline('2026-06-05')).statusCode).toBe(200);
    const exams = (await call('GET', '/api/exams', 'chair-olga')).json();
    expect(exams).toContainEqual(
      expect.objectContaining({ id: DEMO_EXAM, processingDeadline: '2026-06-05' }),
    );
    // Due 4 June: every first or second check not yet scored is overdue, in hand or not, and by expert.
    const p = await progress();
    const unscored = await service.adapters.db.query<{ id: number }>(
      `select id from checks where status <> 'submitted' and round in ('first', 'second') order by id`,
    );
    expect(unscored.length).toBeGreaterThanOrEqual(5);
    expect(p.overdue.map((o: { checkId: number }) => o.checkId)).toEqual(unscored.map((c) => c.id));
    expect(p.overdue[0].dueDay).toBe('2026-06-04');
    const anna = p.experts.find((e: { expertId: string }) => e.expertId === 'expert-anna');
    expect(anna).toEqual({ examId: DEMO_EXAM, expertId: 'expert-anna', inHand: 2, scored: 1, overdue: 2 });
    const audited = await service.adapters.db.query<{ action: string }>(
      `select action from audit_events where action = 'exam.deadline'`,
    );
    // The two that were set; the refused ones changed nothing.
    expect(audited).toHaveLength(2);
  });

  it('lets an administrator register an exam once, with real days and a known time zone', async () => {
    const exam = {
      id: 'ege-2026-physics',
      kind: 'EGE',
      subjectCode: '03',
      date: '2026-06-11',
      region: '39',
      timeZone: 'Europe/Kaliningrad',
      processingDeadline: '2026-06-20',
    };
    const post = (body: object, who = 'admin-ivan') => call('POST', '/api/exams', who, body);
    expect((await post(exam, 'chair-olga')).statusCode).toBe(403);
    expect((await post({ ...exam, timeZone: 'Mars/Olympus' })).statusCode).toBe(422);
    expect((await post({ ...exam, processingDeadline: '2026-06-10' })).statusCode).toBe(422);
    expect((await post(exam)).statusCode).toBe(201);
    expect((await post(exam)).statusCode).toBe(409);
    // Listed with its subject's name from the year's checking rules, for the stations.
    expect((await call('GET', '/api/exams', 'demo-operator')).json()).toContainEqual({
      ...exam,
      grade: null,
      subjectName: 'Физика',
    });
  });

  it('lets a chair follow progress, and nothing an expert fetched names the participant', async () => {
    const progress = (await call('GET', `/api/checking/progress?exam=${DEMO_EXAM}`, 'chair-olga')).json();
    expect(progress.rounds).toContainEqual({
      examId: DEMO_EXAM,
      round: 'third',
      status: 'submitted',
      checks: 1,
    });
    expect((await call('GET', '/api/checking/progress', 'expert-anna')).statusCode).toBe(403);
    expect(identity.length).toBeGreaterThanOrEqual(5);
    const everything = expertSaw.join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    const leaks = identity.filter((s) => everything.includes(s));
    expect(leaks).toEqual([]);
  });
});
