/**
 * `rcoi export results` (issue 16 item 3) on the embedded database: an exam's results written by a shipped
 * layout to a file, audited with `cli` as the actor; an unknown exam or layout fails with the reason, exit 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgliteDatabase } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { registerExam } from '../platform/store/exams.ts';
import { MOSCOW_EGE_02 } from './helpers.ts';

const BIN = new URL('../bin/rcoi.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rcoi-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DATA = join(dir, 'data');

function rcoi(...args: string[]) {
  const { DATABASE_URL: _, RCOI_DATA_DIR: __, ...rest } = process.env;
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...rest, RCOI_DATA_DIR: DATA },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('rcoi export results', () => {
  it('writes the exam results by a layout, audited, and names what it cannot find', async () => {
    const db = await pgliteDatabase(join(DATA, 'db'));
    await migrate(db);
    await registerExam(db, MOSCOW_EGE_02);
    await db.close();

    const out = join(dir, 'out.xml');
    const done = rcoi('export', 'results', '--exam', MOSCOW_EGE_02.id, '--layout', 'federal', '--out', out);
    expect([done.code, done.err, done.out]).toEqual([
      0,
      '',
      `wrote 0 results to ${out} (0 incomplete withheld)\n`,
    ]);
    expect(readFileSync(out, 'utf8')).toBe('<?xml version="1.0" encoding="utf-8"?>\n<Results>\n</Results>\n');

    const noLayout = rcoi('export', 'results', '--exam', MOSCOW_EGE_02.id, '--layout', 'nope');
    expect([noLayout.code, noLayout.err]).toEqual([
      1,
      'rcoi export results: no export layout nope for 2026\n',
    ]);
    const noExam = rcoi('export', 'results', '--exam', 'none', '--layout', 'federal');
    expect([noExam.code, noExam.err]).toEqual([1, 'rcoi export results: no exam none\n']);
    expect(rcoi('export', 'results', '--exam', 'x').code).toBe(2);

    const check = await pgliteDatabase(join(DATA, 'db'));
    try {
      const audited = await check.query<{ actor: string; subject: string; rows: number }>(
        `select actor, subject, (detail->>'rows')::int as rows from audit_events where action = 'export.results'`,
      );
      expect(audited).toEqual([{ actor: 'cli', subject: `exam:${MOSCOW_EGE_02.id}`, rows: 0 }]);
    } finally {
      await check.close();
    }
  }, 120_000);
});
