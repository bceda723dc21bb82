/**
 * What the intake refuses, on the embedded default (PGlite, a folder, in-process stages): the inbox takes
 * regular files only (a link to a secret, a pipe, a device, a folder where a page belongs, a linked batch
 * folder are quarantined with the reason, and nothing of the batch is stored).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFiles } from '../samples/make-corpus.ts';
import { configFromEnv } from '../service/config.ts';
import { readRegularFile } from '../service/inbox.ts';
import { type RunningService, startService } from '../service/run.ts';
import { registerExam } from '../storage/exams.ts';
import { MOSCOW_EGE_02 } from './helpers.ts';

const corpus = corpusFiles();
let service: RunningService;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rcoi-intake-'));
  service = await startService(configFromEnv({ RCOI_DATA_DIR: join(dir, 'data') }), {
    pollMs: 600_000,
    concurrency: 1,
  });
  await registerExam(service.adapters.db, MOSCOW_EGE_02);
}, 60_000);

afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const manifest = (batch: string) => ({ batch, station: 's1', exam: MOSCOW_EGE_02.id, declared: {} });

/** A batch folder in the inbox with one real page; `extra` adds what the test is about. */
function dropBatch(name: string, extra: (folder: string) => void, at = service.inbox): string {
  const folder = join(at, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, corpus[0]!.name), corpus[0]!.bytes);
  extra(folder);
  writeFileSync(join(folder, 'batch.json'), JSON.stringify(manifest(name)));
  return folder;
}

const stored = async () => ({
  objects: (await service.adapters.objects.list('')).length,
  images: (await service.adapters.db.query('select 1 from images')).length,
});

const quarantinedWhy = (name: string) =>
  readFileSync(join(service.inbox, 'quarantine', `${name}.QUARANTINED.txt`), 'utf8');

describe('inbox: regular files only', () => {
  it('quarantines a batch with a link to /etc/passwd or to a secret, storing nothing of it', async () => {
    const secret = join(dir, 'service.env');
    writeFileSync(secret, 'S3_SECRET_KEY=fake-secret-for-the-test\n');
    dropBatch('links', (folder) => {
      symlinkSync('/etc/passwd', join(folder, 'passwd.jpg'));
      symlinkSync(secret, join(folder, 'secret.jpg'));
    });
    expect(await service.scan()).toMatchObject([{ folder: 'links', outcome: 'quarantined' }]);
    expect(await stored()).toEqual({ objects: 0, images: 0 });
    const why = quarantinedWhy('links');
    expect(why).toContain('passwd.jpg: a symbolic link, not a regular file');
    expect(why).toContain('secret.jpg: a symbolic link, not a regular file');
    expect(why).not.toContain('fake-secret');
  });

  it('quarantines a pipe, a folder where a page belongs, a linked manifest and a linked batch folder', async () => {
    dropBatch('pipe', (folder) => execFileSync('mkfifo', [join(folder, 'page.tif')]));
    dropBatch('nested', (folder) => mkdirSync(join(folder, 'more-pages')));
    const linkedManifest = dropBatch('linked-manifest', () => {});
    rmSync(join(linkedManifest, 'batch.json'));
    writeFileSync(join(dir, 'elsewhere.json'), JSON.stringify(manifest('linked-manifest')));
    symlinkSync(join(dir, 'elsewhere.json'), join(linkedManifest, 'batch.json'));
    const outside = dropBatch('outside', () => {}, dir);
    symlinkSync(outside, join(service.inbox, 'linked-folder'));

    const results = await service.scan();
    expect(results.map((r) => [r.folder, r.outcome]).sort()).toEqual([
      ['linked-folder', 'quarantined'],
      ['linked-manifest', 'quarantined'],
      ['nested', 'quarantined'],
      ['pipe', 'quarantined'],
    ]);
    expect(await stored()).toEqual({ objects: 0, images: 0 });
    expect(quarantinedWhy('pipe')).toContain('page.tif: a named pipe, not a regular file');
    expect(quarantinedWhy('nested')).toContain('more-pages: a folder, not a regular file');
    expect(quarantinedWhy('linked-manifest')).toContain('batch.json: a symbolic link, not a regular file');
    expect(quarantinedWhy('linked-folder')).toContain('linked-folder: a symbolic link, not a batch folder');
    // The link is moved aside, not what it points to.
    expect(readdirSync(outside).sort()).toEqual([corpus[0]!.name, 'batch.json']);
  });

  it('reads a file only if it is still a regular file when opened (no link followed, no pipe waited on)', async () => {
    const folder = mkdtempSync(join(dir, 'race-'));
    writeFileSync(join(folder, 'page.jpg'), corpus[0]!.bytes);
    symlinkSync('/etc/passwd', join(folder, 'swapped.jpg'));
    execFileSync('mkfifo', [join(folder, 'fifo.jpg')]);
    expect(await readRegularFile(folder, 'page.jpg', 1 << 20)).toEqual(corpus[0]!.bytes);
    await expect(readRegularFile(folder, 'swapped.jpg', 1 << 20)).rejects.toThrow(
      'swapped.jpg: a symbolic link, not a regular file',
    );
    await expect(readRegularFile(folder, 'fifo.jpg', 1 << 20)).rejects.toThrow(
      'fifo.jpg: a named pipe, not a regular file',
    );
    await expect(readRegularFile(folder, 'page.jpg', 10)).rejects.toThrow(/page\.jpg: \d+ bytes, more than/);
  });
});
