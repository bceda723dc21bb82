/**
 * An exam's analytics (issue 16 item 8) from results computed by the real scoring on PGlite and PostgreSQL,
 * and over HTTP: figures for chairs, CSV bytes, SVG charts with one bar per datum, a PNG of the chart.
 * The exam is test/helpers.ts' seedAnalyticsExam: P1 all right, P2 task 1 only, P3 too small a group.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../platform/config.ts';
import { issueUser } from '../platform/store/users.ts';
import { examAnalytics } from '../results/analytics.ts';
import { type RunningService, startService } from '../service/run.ts';
import { ANALYTICS_EXAM as EXAM, seedAnalyticsExam } from './helpers.ts';
import { DATABASES, freshAdapters, undoAfterAll } from './services.ts';

const undo = undoAfterAll();

describe.each(DATABASES)('analytics on %s', (_name, open) => {
  it('counts the distributions and tasks, and names the exam point that stands out', async () => {
    const { db } = await freshAdapters(open, undo, 'rcoi-analytics');
    expect(await seedAnalyticsExam(db)).toMatchObject({ complete: 22, incomplete: 1 });
    const a = await examAnalytics(db, EXAM, { minSize: 10, z: 3 });
    expect([a.complete, a.withheld, a.scale]).toEqual([22, 1, 'test-score']);
    expect(a.primary.map((b) => b.count)).toEqual([0, 10, 0, 2, 0, 10]);
    // Test scores 20 (P2), 60 (P3) and 100 (P1) by ten points.
    expect(a.score.map((b) => b.count)).toEqual([0, 0, 10, 0, 0, 0, 2, 0, 0, 0, 10]);
    expect(a.tasks).toEqual([
      { part: 'as1', task: '1', max: 1, full: 22, partial: 0, zero: 0 },
      { part: 'as1', task: '2', max: 1, full: 10, partial: 0, zero: 12 },
      { part: 'as2', task: '4', max: 3, full: 10, partial: 2, zero: 10 },
    ]);
    // Mean 3, σ = √(80/22): P1's mean of 5 is 3.3 standard errors above, P2's 3.3 below; P3 too small.
    expect(
      a.ppe.map((g) => [g.group, g.size, g.mean, g.z === null ? null : Number(g.z.toFixed(2)), g.standsOut]),
    ).toEqual([
      ['P1', 10, 5, 3.32, true],
      ['P2', 10, 1, -3.32, true],
      ['P3', 2, 3, null, false],
    ]);
    expect(a.school).toEqual([{ group: 'S1', size: 20, mean: 3, z: 0, standsOut: false }]);
    await expect(examAnalytics(db, 'no-exam', { minSize: 10, z: 3 })).rejects.toMatchObject({
      code: 'no-such-exam',
    });
  }, 120_000);
});

describe('analytics over HTTP', () => {
  let service: RunningService;
  let dir: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rcoi-api-analytics-'));
    service = await startService(configFromEnv({ RCOI_DATA_DIR: dir }), { pollMs: 60_000 });
    for (const role of ['chair', 'expert'] as const)
      tokens[role] = await issueUser(service.adapters.db, { id: `analytics-${role}`, name: role, role });
    await seedAnalyticsExam(service.adapters.db);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string, who = 'chair') =>
    service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[who]}` } });

  it('answers the figures to chairs only, with the rule asked', async () => {
    const res = await get(`/api/exams/${EXAM}/analytics?minSize=2&z=5`);
    expect(res.statusCode).toBe(200);
    const a = res.json();
    expect(a.rule).toEqual({ minSize: 2, z: 5 });
    expect(a.ppe.map((g: { group: string; standsOut: boolean }) => [g.group, g.standsOut])).toEqual([
      ['P1', false],
      ['P2', false],
      ['P3', false],
    ]);
    expect(a.ppe[2].z).toBe(0);
    expect((await get(`/api/exams/${EXAM}/analytics`, 'expert')).statusCode).toBe(403);
    expect((await get('/api/exams/no-exam/analytics')).statusCode).toBe(404);
    expect((await get(`/api/exams/${EXAM}/analytics/ppe?format=gif`)).statusCode).toBe(400);
  });

  it('exports a figure as CSV bytes', async () => {
    const res = await get(`/api/exams/${EXAM}/analytics/ppe?format=csv`);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${EXAM}-ppe.csv"`);
    expect(res.body).toBe(
      'group,size,mean_primary,z,stands_out\r\nP1,10,5,3.32,true\r\nP2,10,1,-3.32,true\r\nP3,2,3,,false\r\n',
    );
    const tasks = await get(`/api/exams/${EXAM}/analytics/tasks?format=csv`);
    expect(tasks.body.split('\r\n')[3]).toBe('as2,4,3,10,2,10,45.5,9.1,45.5');
  });

  it('draws a well-formed SVG chart with one bar per bin, and its PNG', async () => {
    const res = await get(`/api/exams/${EXAM}/analytics/score?format=svg`);
    expect(res.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    // Well-formed: librsvg (sharp) refuses malformed XML; it reads the chart's own size.
    const meta = await sharp(Buffer.from(res.body)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['svg', 384, 280]);
    expect(res.body.match(/<rect class="bar"/g)).toHaveLength(11);
    const png = await get(`/api/exams/${EXAM}/analytics/primary?format=png`);
    expect(png.headers['content-type']).toBe('image/png');
    expect((await sharp(png.rawPayload).metadata()).format).toBe('png');
  });
});
