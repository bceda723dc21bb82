/**
 * PPE packages end to end, through the real command line and the embedded service: keys made with
 * `rcoi keys`, a batch sealed with `rcoi package`, dropped into the inbox beside a tampered copy and one
 * sealed for another RCOI. The good one is ingested; the others are quarantined, intact, with the reason.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../platform/config.ts';
import { registerExam } from '../platform/store/exams.ts';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { type RunningService, startService } from '../service/run.ts';
import { MOSCOW_EGE_02 } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rcoi-package-'));
let service: RunningService | undefined;
afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const rcoi = (...args: string[]) =>
  execFileSync(process.execPath, ['bin/rcoi.js', ...args], { encoding: 'utf8' });

describe('PPE packages through the inbox', () => {
  it('ingests a sealed batch and quarantines a tampered or misaddressed one with its reason', async () => {
    const keys = join(dir, 'keys');
    const ppeKeys = join(dir, 'ppe-keys');
    mkdirSync(ppeKeys, { recursive: true });
    expect(rcoi('keys', '--rcoi', '--out', keys)).toMatch(/key id [0-9a-f]{64}/);
    rcoi('keys', '--rcoi', '--out', join(dir, 'elsewhere'));
    rcoi('keys', '--ppe', '0101', '--out', keys);
    expect(statSync(join(keys, 'rcoi.key.pem')).mode & 0o777).toBe(0o600);
    copyFileSync(join(keys, '0101.pem'), join(ppeKeys, '0101.pem'));

    const batch = join(dir, 'r12-001');
    mkdirSync(batch);
    for (const f of ['ege-as1-2023-scanner-1.jpg', 'ege-registration-scanner-7.jpg', 'corrupt.jpg'])
      copyFileSync(join(CORPUS_DIR, f), join(batch, f));
    writeFileSync(
      join(batch, 'batch.json'),
      JSON.stringify({
        batch: 'r12-001',
        station: 'ppe-0101-hq',
        exam: '2026-ege-02',
        room: '12',
        declared: {},
      }),
    );
    const inbox = join(dir, 'data', 'inbox');
    mkdirSync(inbox, { recursive: true });
    const seal = (to: string, out: string) =>
      rcoi('package', '--ppe', '0101', '--key', join(keys, '0101.key.pem'), '--to', to, '--out', out, batch);
    expect(seal(join(keys, 'rcoi.pem'), join(inbox, 'r12.rcoipkg'))).toContain('sealed 3 file(s)');
    seal(join(dir, 'elsewhere', 'rcoi.pem'), join(inbox, 'misaddressed.rcoipkg'));
    const tampered = readFileSync(join(inbox, 'r12.rcoipkg'));
    tampered[tampered.length - 1]! ^= 0x40;
    writeFileSync(join(inbox, 'tampered.rcoipkg'), tampered);

    service = await startService(
      configFromEnv({
        RCOI_DATA_DIR: join(dir, 'data'),
        RCOI_PACKAGE_KEY_FILE: join(keys, 'rcoi.key.pem'),
        RCOI_PPE_KEYS_DIR: ppeKeys,
      }),
      { pollMs: 60_000, concurrency: 1 },
    );
    await registerExam(service.adapters.db, MOSCOW_EGE_02);
    const results = await service.scan();
    const byName = Object.fromEntries(results.map((r) => [r.folder, r]));
    expect(byName['r12.rcoipkg']).toMatchObject({
      outcome: 'ingested',
      batchId: 'ppe-0101-hq:r12-001',
      newPages: 3,
    });
    expect(byName['tampered.rcoipkg']).toMatchObject({
      outcome: 'quarantined',
      reason: expect.stringMatching(/^bad-signature/),
    });
    expect(byName['misaddressed.rcoipkg']).toMatchObject({
      outcome: 'quarantined',
      reason: expect.stringMatching(/^wrong-recipient/),
    });
    // Quarantine keeps the package as it came, with the reason beside it.
    expect(readFileSync(join(inbox, 'quarantine', 'tampered.rcoipkg')).equals(tampered)).toBe(true);
    expect(readFileSync(join(inbox, 'quarantine', 'tampered.rcoipkg.QUARANTINED.txt'), 'utf8')).toMatch(
      /^bad-signature/,
    );

    await service.idle();
    const [b] = await service.adapters.db.query<{ source: string; ppe_code: string | null }>(
      `select source, ppe_code from batches where id = 'ppe-0101-hq:r12-001'`,
    );
    expect(b).toEqual({ source: 'ppe-package', ppe_code: '0101' });
    const statuses = await service.adapters.db.query<{ status: string }>(
      'select status from pages order by status',
    );
    expect(statuses.map((s) => s.status)).toEqual(['needs-verification', 'needs-verification', 'rejected']);
  }, 120_000);
});
