/**
 * Hot folders: a scanning station drops a batch as a folder of page files with its manifest, batch.json,
 * written last; a PPE headquarters drops a sealed package (FILE.rcoipkg). Each scan of the inbox takes what
 * is complete, ingests it, queues its new pages, and moves it to done/, or to quarantine/ with the reason
 * beside it (NAME.QUARANTINED.txt). A bad page file is a rejected page, never a lost batch; only a batch that
 * cannot be taken at all (no valid manifest, unknown exam, a package that does not open) is quarantined. A
 * batch the object store, the database or the queue could not take now stays where it is for the next scan.
 * The inbox takes regular files only: whoever writes to it must not make the service read another file it
 * can read (a link to /etc/passwd, to the service's secrets), block on a pipe or read a device.
 */

import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BatchManifest, parseBatchManifest } from '../domain/batch.ts';
import { openPackage, type PackageKeys } from '../domain/ppe-package.ts';
import type { Adapters } from '../platform/adapters.ts';
import { isInfrastructureFailure } from '../platform/failures.ts';
import type { StageQueues } from '../platform/queues.ts';
import { queueRecognition } from '../platform/queues.ts';
import { type IncomingFile, ingestBatch } from './ingest.ts';

const MANIFEST = 'batch.json';
const MAX_FILE_BYTES = 200 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** What an inbox entry is when it is not a regular file. */
function kindOf(e: Dirent | Stats): string {
  if (e.isSymbolicLink()) return 'a symbolic link';
  if (e.isDirectory()) return 'a folder';
  if (e.isFIFO()) return 'a named pipe';
  if (e.isSocket()) return 'a socket';
  if (e.isBlockDevice() || e.isCharacterDevice()) return 'a device';
  return 'a regular file';
}

const notRegular = (name: string, e: Dirent | Stats) => `${name}: ${kindOf(e)}, not a regular file`;

/**
 * The bytes of `folder/name` if, when opened, it is a regular file of at most `maxBytes`: the name is not
 * followed if it became a link since the folder was listed (O_NOFOLLOW), a pipe does not block the open
 * (O_NONBLOCK), and what was opened is checked, not what the name pointed at a moment before.
 */
export async function readRegularFile(folder: string, name: string, maxBytes: number): Promise<Uint8Array> {
  const handle = await open(
    join(folder, name),
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  ).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ELOOP') throw new Error(`${name}: a symbolic link, not a regular file`);
    throw err;
  });
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(notRegular(name, st));
    if (st.size > maxBytes) throw new Error(`${name}: ${st.size} bytes, more than a batch file may be`);
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

export interface InboxResult {
  folder: string;
  /** deferred: left in the inbox, as the infrastructure failed (the reason says which), for the next scan. */
  outcome: 'ingested' | 'quarantined' | 'deferred';
  batchId?: string;
  newPages?: number;
  reason?: string;
}

async function moveAside(inbox: string, folder: string, to: 'done' | 'quarantine'): Promise<string> {
  await mkdir(join(inbox, to), { recursive: true });
  let target = join(inbox, to, folder);
  for (
    let n = 2;
    await stat(target).then(
      () => true,
      () => false,
    );
    n++
  )
    target = join(inbox, to, `${folder}.${n}`);
  await rename(join(inbox, folder), target);
  return target;
}

/** Ingests a batch, queueing each new file's pages as it is stored. */
async function take(
  deps: Adapters,
  queues: StageQueues,
  manifest: BatchManifest,
  source: 'hot-folder' | 'ppe-package',
  files: IncomingFile[],
  folder: string,
  signal?: AbortSignal,
): Promise<InboxResult> {
  const ingested = await ingestBatch(
    deps,
    manifest,
    source,
    files,
    (ids) => queueRecognition(queues, ids),
    signal,
  );
  return { folder, outcome: 'ingested', batchId: ingested.batchId, newPages: ingested.newPages.length };
}

/**
 * Quarantines what its content failed; leaves for the next scan what the infrastructure failed, or a stop
 * cut short (ingestion is idempotent by content: the files stored are not stored twice).
 */
async function quarantine(
  inbox: string,
  name: string,
  err: unknown,
  signal?: AbortSignal,
): Promise<InboxResult> {
  const reason = err instanceof Error ? err.message : String(err);
  if (signal?.aborted)
    return { folder: name, outcome: 'deferred', reason: 'the service stopped before the batch was whole' };
  if (isInfrastructureFailure(err)) return { folder: name, outcome: 'deferred', reason };
  const target = await moveAside(inbox, name, 'quarantine');
  await writeFile(`${target}.QUARANTINED.txt`, `${reason}\n`);
  return { folder: name, outcome: 'quarantined', reason };
}

export const PACKAGE_SUFFIX = '.rcoipkg';

/**
 * One pass over the inbox: batch folders whose batch.json is there, and sealed PPE packages (FILE.rcoipkg),
 * opened with `packageKeys` (without them a package is quarantined: this RCOI does not take packages).
 */
export async function scanInbox(
  deps: Adapters,
  queues: StageQueues,
  inbox: string,
  packageKeys?: PackageKeys,
  /** A stopping service's: no further batch is begun, and the one in hand stops at its next file. */
  signal?: AbortSignal,
): Promise<InboxResult[]> {
  await mkdir(inbox, { recursive: true });
  const results: InboxResult[] = [];
  for (const entry of await readdir(inbox, { withFileTypes: true })) {
    if (signal?.aborted) break;
    if (entry.isFile() && entry.name.endsWith(PACKAGE_SUFFIX)) {
      try {
        if (!packageKeys)
          throw new Error('PPE packages are not taken here: no RCOI package key is configured');
        const opened = openPackage(
          await readRegularFile(inbox, entry.name, MAX_FILE_BYTES),
          packageKeys.rcoi,
          packageKeys.ppe,
        );
        results.push(
          await take(deps, queues, opened.manifest, 'ppe-package', opened.files, entry.name, signal),
        );
        await moveAside(inbox, entry.name, 'done');
      } catch (err) {
        results.push(await quarantine(inbox, entry.name, err, signal));
      }
      continue;
    }
    if (entry.isFile() || entry.name === 'done' || entry.name === 'quarantine') continue;
    // A link is moved aside as it is, never followed: it could name any folder the service can read.
    if (!entry.isDirectory()) {
      const why = `${entry.name}: ${kindOf(entry)}, not a batch folder or a package`;
      results.push(await quarantine(inbox, entry.name, new Error(why)));
      continue;
    }
    const dir = join(inbox, entry.name);
    const entries = await readdir(dir, { withFileTypes: true });
    if (!entries.some((e) => e.name === MANIFEST)) continue;
    try {
      const manifest = parseBatchManifest(
        JSON.parse(new TextDecoder().decode(await readRegularFile(dir, MANIFEST, MAX_MANIFEST_BYTES))),
        join(entry.name, MANIFEST),
      );
      // Everything is looked at before anything is stored: a batch with one odd entry is refused whole.
      const refused: string[] = [];
      const files: IncomingFile[] = [];
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const { name } = e;
        if (name === MANIFEST || name.startsWith('.')) continue;
        if (!e.isFile()) {
          refused.push(notRegular(name, e));
          continue;
        }
        const { size } = await lstat(join(dir, name));
        if (size > MAX_FILE_BYTES) refused.push(`${name}: ${size} bytes, more than a batch file may be`);
        files.push({ name, bytes: () => readRegularFile(dir, name, MAX_FILE_BYTES) });
      }
      if (refused.length > 0) throw new Error(refused.join('\n'));
      results.push(await take(deps, queues, manifest, 'hot-folder', files, entry.name, signal));
      await moveAside(inbox, entry.name, 'done');
    } catch (err) {
      results.push(await quarantine(inbox, entry.name, err, signal));
    }
  }
  return results;
}
