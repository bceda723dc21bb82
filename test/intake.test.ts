/**
 * What the intake refuses, on the embedded default (PGlite, a folder, in-process stages): the inbox takes
 * regular files only (a link to a secret, a pipe, a device, a folder where a page belongs, a linked batch
 * folder are quarantined with the reason, and nothing of the batch is stored); a control character in a
 * manifest or a file name refuses the batch before anything is stored; what is stored is queued at once,
 * and what is left pending is queued again without a restart; a manifest over the field limit is a 413.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRegularFile, scanInbox } from '../intake/inbox.ts';
import { ingestBatch } from '../intake/ingest.ts';
import { UPLOAD_LIMITS } from '../intake/routes.ts';
import { configFromEnv } from '../platform/config.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import { type RunningService, startService } from '../service/run.ts';
import { MOSCOW_EGE_02 } from './helpers.ts';

const corpus = corpusFiles();
let service: RunningService;
let dir: string;
let operator: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rcoi-intake-'));
  // Pending pages are queued again every half second, so the test that relies on it does not wait long.
  const env = { RCOI_DATA_DIR: join(dir, 'data'), RCOI_REQUEUE_MS: '500' };
  service = await startService(configFromEnv(env), { pollMs: 600_000, concurrency: 1 });
  await registerExam(service.adapters.db, MOSCOW_EGE_02);
  operator = await issueUser(service.adapters.db, { id: 'op', name: 'Operator', role: 'operator' });
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

const pendingOf = async (ids: string[]) =>
  (
    await service.adapters.db.query<{ n: number }>(
      `select count(*)::int as n from pages where id = any($1) and status = 'pending'`,
      [ids],
    )
  )[0]!.n;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function upload(manifestField: string, files: { name: string; bytes: Uint8Array }[]) {
  const form = new FormData();
  form.append('manifest', manifestField);
  for (const f of files) form.append('files', new Blob([new Uint8Array(f.bytes)]), f.name);
  return service.app.inject({
    method: 'POST',
    url: '/api/batches',
    headers: { authorization: `Bearer ${operator}` },
    payload: form,
  });
}

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

describe('a batch is refused whole, or what is stored is queued at once', () => {
  it('refuses a control character in a file name or a manifest string with a 400, storing nothing', async () => {
    const before = await stored();
    const named = await upload(JSON.stringify(manifest('nul-name')), [
      corpus[1]!,
      corpus[2]!,
      { name: 'page\u0000.jpg', bytes: corpus[3]!.bytes },
    ]);
    expect(named.statusCode, named.body).toBe(400);
    expect(named.json().error).toBe('file "page\\u0000.jpg": holds the control character U+0000');
    // The code and the file name for the stations' Russian text.
    expect(named.json()).toMatchObject({ code: 'refused-batch', params: { file: 'page\u0000.jpg' } });
    for (const [field, value] of [
      ['exam', `${MOSCOW_EGE_02.id}\u0000`],
      ['room', '12\u001b[2J'],
      ['ppe', '01\u202e10'],
    ]) {
      const bad = await upload(JSON.stringify({ ...manifest('nul-manifest'), [field!]: value }), [
        corpus[1]!,
      ]);
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json().error).toMatch(new RegExp(`${field}: holds the control character U\\+`));
    }
    expect(await stored()).toEqual(before);
    const batches = await service.adapters.db.query(`select 1 from batches where external_id like 'nul-%'`);
    expect(batches).toEqual([]);
  });

  it('quarantines an inbox batch with a control character in a file name, storing nothing', async () => {
    const before = await stored();
    dropBatch('bell', (folder) => writeFileSync(join(folder, 'page\u0007.jpg'), corpus[2]!.bytes));
    expect(await service.scan()).toMatchObject([{ folder: 'bell', outcome: 'quarantined' }]);
    expect(quarantinedWhy('bell')).toContain('file "page\\u0007.jpg": holds the control character U+0007');
    expect(await stored()).toEqual(before);
  });

  it('queues each stored file’s pages at once, though a later file fails', async () => {
    const queued: string[] = [];
    const failing = {
      name: 'gone.jpg',
      bytes: () => Promise.reject(new Error('gone.jpg: the disk went away')),
    };
    const ingest = ingestBatch(
      service.adapters,
      manifest('half'),
      'upload',
      [corpus[4]!, failing],
      async (ids) => void queued.push(...ids),
    );
    await expect(ingest).rejects.toThrow('the disk went away');
    const [first] = await service.adapters.db.query<{ sha256: string }>(
      `select image_sha256 as sha256 from batch_items where batch_id = 's1:half'`,
    );
    expect(queued).toEqual([`${first!.sha256}#1`]);
  });

  it('recognises pages left pending without a job, without a restart', async () => {
    // Stored and never queued: as after a crash between the two, or a queue that lost its jobs.
    const batch = await ingestBatch(service.adapters, manifest('unqueued'), 'upload', [corpus[5]!]);
    expect(batch.newPages).toHaveLength(1);
    await until('the page is recognised', async () => (await pendingOf(batch.newPages)) === 0);
  });
});

describe('a stopping service', () => {
  it('begins no batch from the inbox once stopped, leaving them all for the next scan', async () => {
    const before = await stored();
    dropBatch('stop-early', () => undefined);
    const stopped = new AbortController();
    stopped.abort();
    const results = await scanInbox(
      service.adapters,
      service.queues,
      service.inbox,
      undefined,
      stopped.signal,
    );
    expect(results).toEqual([]);
    expect(existsSync(join(service.inbox, 'stop-early', 'batch.json'))).toBe(true);
    expect(await stored()).toEqual(before);
    expect(await service.scan()).toMatchObject([{ folder: 'stop-early', outcome: 'ingested' }]);
  });

  it('stops a batch in hand at its next file, and the next scan takes it whole, nothing twice', async () => {
    // Three one-page files no other test stores, taken in name order.
    const three = [
      'ege-as2-1-scanner-8.jpg',
      'ege-as2-2-scanner-9-blank.jpg',
      'ege-as2-additional-scanner-10.jpg',
    ];
    const folder = join(service.inbox, 'stop-midway');
    mkdirSync(folder);
    for (const name of three) writeFileSync(join(folder, name), corpus.find((f) => f.name === name)!.bytes);
    writeFileSync(join(folder, 'batch.json'), JSON.stringify(manifest('stop-midway')));
    // The stop comes as the first file's pages are queued: the batch's other two files are not taken.
    const stopped = new AbortController();
    const queues = {
      ...service.queues,
      addMany: async (...args: Parameters<typeof service.queues.addMany>) => {
        stopped.abort();
        await service.queues.addMany(...args);
      },
    };
    const [first] = await scanInbox(service.adapters, queues, service.inbox, undefined, stopped.signal);
    expect(first).toMatchObject({ folder: 'stop-midway', outcome: 'deferred' });
    expect(first!.reason).toMatch(/stopped before the batch was whole/);
    expect(existsSync(join(folder, 'batch.json'))).toBe(true);
    const items = () =>
      service.adapters.db.query(`select 1 from batch_items where batch_id = 's1:stop-midway'`);
    expect(await items()).toHaveLength(1);
    const [again] = await service.scan();
    expect(again).toMatchObject({ folder: 'stop-midway', outcome: 'ingested', newPages: 2 });
    expect(await items()).toHaveLength(3);
    expect(existsSync(folder)).toBe(false);
  });
});

describe('upload limits', () => {
  it('answers a manifest over the field limit with a 413 that says so', async () => {
    const padded = JSON.stringify({ ...manifest('big'), room: 'x'.repeat(UPLOAD_LIMITS.fieldSize) });
    const r = await upload(padded, [corpus[1]!]);
    expect(r.statusCode, r.body).toBe(413);
    expect(r.json().error).toBe(`the manifest is larger than ${UPLOAD_LIMITS.fieldSize} bytes`);
  });
});
