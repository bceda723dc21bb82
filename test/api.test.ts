/**
 * The service as a newcomer meets it: the embedded default (PGlite, a folder, in-process stages) with the demo
 * batch in its inbox, driven over HTTP. Roles are enforced on every route; a verifier sees only the task
 * leased to them; an image shown is audited; a bad manifest quarantines its batch and loses nothing else.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { DEMO_EXAM, type RunningService } from '../service/run.ts';
import { type DemoService, startDemo } from './helpers.ts';

let service: RunningService;
let tokens: Record<string, string>;
let demo: DemoService;

beforeAll(async () => {
  demo = await startDemo('rcoi-api-');
  service = demo.service;
  tokens = demo.tokens;
  expect(demo.scanned).toMatchObject([{ folder: 'sample-batch', outcome: 'ingested', newPages: 15 }]);
}, 120_000);

afterAll(() => demo?.stop());

const call = (method: 'GET' | 'POST', url: string, who?: string, payload?: object) =>
  service.app.inject({
    method,
    url,
    ...(who && { headers: { authorization: `Bearer ${tokens[who]}` } }),
    ...(payload && { payload }),
  });

describe('service API on the embedded default', () => {
  it('answers health without a token, and nothing else', async () => {
    expect((await call('GET', '/health')).json()).toEqual({
      status: 'ok',
      database: 'pglite',
      objects: 'folder',
    });
    expect((await call('GET', '/api/batches')).statusCode).toBe(401);
    const forged = await service.app.inject({
      method: 'GET',
      url: '/api/batches',
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(forged.statusCode).toBe(401);
  });

  it('reports metrics to an admin only, in Prometheus text format', async () => {
    const { issueUser } = await import('../platform/store/users.ts');
    tokens['demo-admin'] = await issueUser(service.adapters.db, {
      id: 'demo-admin',
      name: 'Admin',
      role: 'admin',
    });
    expect((await call('GET', '/metrics')).statusCode).toBe(401);
    expect((await call('GET', '/metrics', 'demo-operator')).statusCode).toBe(403);
    const text = (await call('GET', '/metrics', 'demo-admin')).body;
    expect(text).toContain('rcoi_pages{status="rejected"} 2');
    expect(text).toContain('rcoi_queue_jobs{stage="recognise",state="completed"} 15');
    expect(text).toMatch(/rcoi_recognise_ms\{quantile="0.5"\} \d+/);
    expect(text).toContain('rcoi_recognised_last_hour 15');
  });

  it('lets an admin hold the exam’s images with a reason, see the hold and the outlook, and release it', async () => {
    const { issueUser } = await import('../platform/store/users.ts');
    tokens['retention-admin'] = await issueUser(service.adapters.db, {
      id: 'retention-admin',
      name: 'Admin',
      role: 'admin',
    });
    expect((await call('GET', '/api/retention', 'demo-operator')).statusCode).toBe(403);
    const hold = (body: object) => call('POST', '/api/retention/holds', 'retention-admin', body);
    expect((await hold({ reason: 'no target' })).statusCode).toBe(400);
    expect((await hold({ examId: DEMO_EXAM, objectKey: 'x', reason: 'both' })).statusCode).toBe(400);
    expect((await hold({ examId: 'no-such-exam', reason: 'appeal' })).statusCode).toBe(404);
    expect((await hold({ examId: DEMO_EXAM, reason: '  ' })).statusCode).toBe(400);
    const placed = await hold({ examId: DEMO_EXAM, reason: 'appeal in the conflict commission' });
    expect(placed.statusCode).toBe(201);
    const { id } = placed.json() as { id: number };
    const outlook = (await call('GET', '/api/retention', 'retention-admin')).json();
    expect(outlook).toMatchObject({
      due: [],
      holds: [
        {
          id,
          examId: DEMO_EXAM,
          placedBy: 'retention-admin',
          reason: 'appeal in the conflict commission',
        },
      ],
      acts: [],
    });
    expect((await call('POST', `/api/retention/holds/${id}/release`, 'retention-admin')).json()).toEqual({
      id,
      released: true,
    });
    expect((await call('POST', `/api/retention/holds/${id}/release`, 'retention-admin')).statusCode).toBe(
      404,
    );
    expect((await call('GET', '/api/retention', 'retention-admin')).json().holds).toEqual([]);
    const audited = await service.adapters.db.query<{ action: string; actor: string }>(
      `select action, actor from audit_events where action like 'retention.%' order by id`,
    );
    expect(audited).toEqual([
      { action: 'retention.hold', actor: 'retention-admin' },
      { action: 'retention.release', actor: 'retention-admin' },
    ]);
  });

  it('lets each role use only its own routes', async () => {
    const refused = await call('GET', '/api/batches', 'demo-verifier');
    expect(refused.statusCode).toBe(403);
    // Refusals outside the rooms carry a code too, so the stations can say them in Russian.
    expect(refused.json()).toMatchObject({ code: 'role-not-allowed', params: { role: 'verifier' } });
    expect((await call('GET', '/api/batches')).json()).toMatchObject({ code: 'not-signed-in' });
    expect((await call('GET', '/api/no-such-route', 'demo-operator')).json()).toMatchObject({
      code: 'not-found',
    });
    expect((await call('POST', '/api/verification/next', 'demo-operator')).statusCode).toBe(403);
    expect((await call('GET', '/api/me', 'demo-operator')).json()).toEqual({
      id: 'demo-operator',
      name: 'Оператор (демо)',
      role: 'operator',
    });
  });

  it('answers what is not there with a 404 and a code the stations can name', async () => {
    const missing = [
      [await call('GET', '/api/batches/no-such-batch', 'demo-operator'), 'no-such-batch'],
      [await call('GET', '/api/retention/acts/999', 'demo-admin'), 'no-such-act'],
      [await call('POST', '/api/users/nobody/disable', 'demo-admin'), 'no-such-user'],
    ] as const;
    for (const [answer, code] of missing) {
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toMatchObject({ code });
    }
  });

  it('shows an operator the batch, its progress and its reconciliation', async () => {
    const list = (await call('GET', '/api/batches', 'demo-operator')).json() as {
      id: string;
      files: number;
    }[];
    expect(list).toMatchObject([{ id: 'demo-station:sample-batch', files: 14 }]);
    const report = await call('GET', `/api/batches/${encodeURIComponent(list[0]!.id)}`, 'demo-operator');
    expect(report.json()).toMatchObject({
      files: 14,
      pagesByStatus: { recognised: 4, 'needs-verification': 9, rejected: 2 },
      reconciliation: {
        receivedPages: 15,
        declaredPages: 13,
        pendingPages: 0,
        discrepancies: ['received 15 pages, declared 13', '2 pages rejected or unidentified'],
        notes: [
          { code: 'batch-pages-differ', params: { received: 15, declared: 13 } },
          { code: 'batch-pages-unidentified', params: { pages: 2 } },
        ],
      },
    });
    expect((await call('GET', '/api/batches/nope', 'demo-operator')).statusCode).toBe(404);
    // The rejected pages with why, and a look at each: a broken file has nothing to show, a good page does.
    const rejected = report.json().rejected as { pageId: string; file: string; reason: string }[];
    expect(rejected.map((r) => [r.file, r.reason])).toEqual([
      ['corrupt.jpg', 'corrupt-image'],
      ['truncated.png', 'corrupt-image'],
    ]);
    expect(
      (await call('GET', `/api/pages/${encodeURIComponent(rejected[0]!.pageId)}/preview`, 'demo-operator'))
        .statusCode,
    ).toBe(404);
    const [good] = await service.adapters.db.query<{ id: string }>(
      `select id from pages where status <> 'rejected' order by id limit 1`,
    );
    const preview = await call('GET', `/api/pages/${encodeURIComponent(good!.id)}/preview`, 'demo-operator');
    expect(preview.headers['content-type']).toBe('image/jpeg');
    expect(await sharp(preview.rawPayload).metadata()).toMatchObject({ format: 'jpeg', width: 900 });
    const seen = await service.adapters.db.query<{ actor: string }>(
      `select actor from audit_events where action = 'image.view' and subject = $1`,
      [`page:${good!.id}`],
    );
    expect(seen).toEqual([{ actor: 'demo-operator' }]);
    // No sheet of the demo was scanned twice; choosing a scan of an unknown sheet is a 404, and not a verifier's.
    expect(report.json().rescans).toEqual([]);
    const choose = (who: string) =>
      call('POST', '/api/sheets/0000000000000/scan', who, { pageId: good!.id, reason: 'rescan' });
    expect((await choose('demo-operator')).statusCode).toBe(404);
    expect((await choose('demo-verifier')).statusCode).toBe(403);
    expect(
      (await call('GET', `/api/pages/${encodeURIComponent(good!.id)}/preview`, 'demo-verifier')).statusCode,
    ).toBe(403);
  });

  it('lets an admin issue a user a key once, disable it, and see the forms and rules in use', async () => {
    const issued = await call('POST', '/api/users', 'demo-admin', {
      id: 'new-op',
      name: 'Новый',
      role: 'operator',
    });
    expect(issued.statusCode).toBe(201);
    const key = issued.json().token as string;
    const me = await service.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${key}` } });
    expect(me.json()).toEqual({ id: 'new-op', name: 'Новый', role: 'operator' });
    expect((await call('GET', '/api/users', 'demo-admin')).json()).toContainEqual({
      id: 'new-op',
      name: 'Новый',
      role: 'operator',
      disabled: false,
    });
    expect(
      (await call('POST', '/api/users', 'demo-operator', { id: 'x1', name: 'x', role: 'admin' })).statusCode,
    ).toBe(403);
    expect(
      (await call('POST', '/api/users', 'demo-admin', { id: 'x1', name: 'x', role: 'root' })).statusCode,
    ).toBe(400);
    expect((await call('POST', '/api/users/new-op/disable', 'demo-admin')).json()).toEqual({
      id: 'new-op',
      disabled: true,
    });
    const after = await service.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${key}` } });
    expect(after.statusCode).toBe(401);
    expect((await call('POST', '/api/users/demo-admin/disable', 'demo-admin')).statusCode).toBe(409);
    const audited = await service.adapters.db.query<{ action: string; detail: object }>(
      `select action, detail from audit_events where subject = 'user:new-op' order by id`,
    );
    expect(audited.map((a) => a.action)).toEqual(['user.issue', 'user.disable']);
    // The key is the user's alone: it is in no audit record.
    expect(JSON.stringify(audited)).not.toContain(key);
    const forms = (await call('GET', '/api/forms', 'demo-admin')).json() as { id: string }[];
    expect(forms.map((f) => f.id)).toContain('ege-protocol');
    const rules = (await call('GET', '/api/checking/rules?year=2026', 'demo-admin')).json() as {
      exam: string;
      subjectCode: string;
      example: boolean;
    }[];
    // Every exam kind's subjects are listed (which ones: test/rule-sets.test.ts).
    expect(rules.map((r) => `${r.exam} ${r.subjectCode}`)).toEqual(
      expect.arrayContaining(['EGE 01', 'EGE 02', 'EGE 18', 'OGE 02', 'GVE 01', 'GVE 52']),
    );
    expect(rules.every((r) => r.example)).toBe(true);
    expect((await call('GET', '/api/checking/rules?year=1999', 'demo-admin')).statusCode).toBe(404);
  });

  it('serves the web stations’ page and assets without a key, with a strict content policy', async () => {
    const page = await service.app.inject({ url: '/' });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).toContain('/assets/app.js');
    const js = await service.app.inject({ url: '/assets/app.js' });
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body.length).toBeGreaterThan(10_000);
    expect((await service.app.inject({ url: '/assets/app.css' })).body).toContain('.verify');
  });

  it('gives a verifier the next task with its image, and takes a decision within the field’s symbols', async () => {
    const next = await call('POST', '/api/verification/next', 'demo-verifier');
    expect(next.statusCode).toBe(200);
    const task = next.json() as { id: number; field: string; allowed: string; value: string; pageId: string };
    const image = await call('GET', `/api/verification/tasks/${task.id}/image`, 'demo-verifier');
    expect(image.headers['content-type']).toBe('image/png');
    const meta = await sharp(image.rawPayload).metadata();
    expect(meta.width).toBeGreaterThan(20);
    // Not leased to the senior: no image for them.
    expect((await call('GET', `/api/verification/tasks/${task.id}/image`, 'demo-senior')).statusCode).toBe(
      403,
    );
    const bad = await call('POST', `/api/verification/tasks/${task.id}`, 'demo-verifier', {
      action: 'correct',
      value: '§§',
    });
    expect(bad.statusCode).toBe(422);
    const misfit = await call('POST', `/api/verification/tasks/${task.id}`, 'demo-verifier', {
      action: 'shrug',
    });
    expect(misfit.statusCode).toBe(400);
    // A request that does not fit the contract is refused like any other: a code and where it went wrong.
    expect(misfit.json()).toMatchObject({
      code: 'bad-request',
      error: expect.stringMatching(/^body\.action: /),
    });
    const escalated = await call('POST', `/api/verification/tasks/${task.id}`, 'demo-verifier', {
      action: 'escalate',
    });
    expect(escalated.json()).toEqual({ pageFinal: false });
    const senior = (await call('POST', '/api/verification/next', 'demo-senior')).json() as { id: number };
    expect(senior.id).toBe(task.id);
    const views = await service.adapters.db.query<{ actor: string; subject: string }>(
      `select actor, subject from audit_events where action = 'image.view' and subject not like 'page:%'`,
    );
    expect(views).toEqual([{ actor: 'demo-verifier', subject: `${task.pageId}/${task.field}` }]);
  });

  it('imports a kit manifest and assembles works for operators only', async () => {
    const csv =
      'kit_id,registration,as1,as2_1,as2_2\nK1,2613421604887,2623421604886,2633421604885,2643421604884\n';
    const asVerifier = await service.app.inject({
      method: 'POST',
      url: '/api/kits',
      headers: { authorization: `Bearer ${tokens['demo-verifier']}`, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(asVerifier.statusCode).toBe(403);
    const imported = await service.app.inject({
      method: 'POST',
      url: '/api/kits',
      headers: { authorization: `Bearer ${tokens['demo-operator']}`, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.json()).toEqual({ kits: 1, errors: [], problems: [] });
    const report = (await call('POST', '/api/works/assemble', 'demo-operator')).json() as {
      works: { kitId: string; status: string }[];
      orphans: unknown[];
    };
    expect(report.works).toMatchObject([{ kitId: 'K1', status: 'incomplete' }]);
    expect(report.orphans.length).toBeGreaterThan(0);
  });

  it('takes an uploaded batch from an operator, stores only what is new, and queues it', async () => {
    const page = readFileSync(join(CORPUS_DIR, 'ege-as2-1-scanner-8.jpg'));
    const upload = (who: string, manifest: object, files: [string, Buffer][]) => {
      const form = new FormData();
      form.append('manifest', JSON.stringify(manifest));
      for (const [name, bytes] of files) form.append('files', new Blob([new Uint8Array(bytes)]), name);
      return service.app.inject({
        method: 'POST',
        url: '/api/batches',
        headers: { authorization: `Bearer ${tokens[who]}` },
        payload: form,
      });
    };
    const manifest = {
      batch: 'up-1',
      station: 'rcoi-scan-2',
      exam: DEMO_EXAM,
      declared: { 'answer-sheet-2': 2 },
    };
    // The same bytes as a page of the sample batch, and a new scan (bytes after the image data differ).
    const files: [string, Buffer][] = [
      ['a.jpg', page],
      ['b.jpg', Buffer.concat([page, Buffer.from('rescan')])],
    ];
    expect((await upload('demo-verifier', manifest, files)).statusCode).toBe(403);
    const bad = await upload('demo-operator', { ...manifest, exam: undefined }, files);
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json().error).toMatch(/invalid batch manifest in the upload/);
    const unknownExam = await upload('demo-operator', { ...manifest, exam: 'no-such-exam' }, files);
    expect(unknownExam.statusCode).toBe(422);
    expect(unknownExam.json()).toMatchObject({ code: 'unknown-exam', params: { exam: 'no-such-exam' } });
    const ok = await upload('demo-operator', manifest, files);
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({
      batchId: 'rcoi-scan-2:up-1',
      files: 2,
      newImages: 1,
      duplicates: 1,
      newPages: 1,
    });
    await service.idle();
    const report = (
      await call('GET', `/api/batches/${encodeURIComponent('rcoi-scan-2:up-1')}`, 'demo-operator')
    ).json();
    // The rescan carries the same sheet number: the counts add up, the second scan is reported.
    const sheet = (
      await service.adapters.db.query<{ n: string }>(
        `select sheet_number as n from pages where form = 'ege-as2-1' limit 1`,
      )
    )[0]!.n;
    expect(report).toMatchObject({
      pagesByStatus: { recognised: 2 },
      reconciliation: { discrepancies: [`sheet ${sheet} scanned 2 times`] },
    });
  });

  it('quarantines a batch with a bad manifest, with the reason beside it', async () => {
    const folder = join(service.inbox, 'broken');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'page.jpg'), 'not really a jpeg');
    writeFileSync(join(folder, 'batch.json'), JSON.stringify({ batch: 'x', station: 's' }));
    const [r] = await service.scan();
    expect(r).toMatchObject({ folder: 'broken', outcome: 'quarantined' });
    const why = readFileSync(join(service.inbox, 'quarantine', 'broken.QUARANTINED.txt'), 'utf8');
    expect(why).toMatch(/invalid batch manifest broken\/batch.json:\n {2}exam/);
  });
});
