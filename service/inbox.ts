/**
 * Hot folders: a scanning station drops a batch as a folder of page files with its manifest, batch.json,
 * written last; a PPE headquarters drops a sealed package (FILE.rcoipkg). Each scan of the inbox takes what
 * is complete, ingests it, queues its new pages, and moves it to done/, or to quarantine/ with the reason
 * beside it (NAME.QUARANTINED.txt). A bad page file is a rejected page, never a lost batch; only a batch that
 * cannot be taken at all (no valid manifest, unknown exam, a package that does not open) is quarantined. A
 * batch the object store, the database or the queue could not take now stays where it is for the next scan.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BatchManifest, parseBatchManifest } from '../domain/batch.ts';
import { openPackage, type PackageKeys } from '../domain/ppe-package.ts';
import { isInfrastructureFailure } from '../storage/failures.ts';
import { queueRecognition } from '../workers/handlers.ts';
import type { StageQueues } from '../workers/queues.ts';
import { type IncomingFile, ingestBatch, type StageDeps } from '../workers/stages/ingest.ts';

const MANIFEST = 'batch.json';
const MAX_FILE_BYTES = 200 * 1024 * 1024;

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

/** Ingests a batch and queues its new pages. */
async function take(
  deps: StageDeps,
  queues: StageQueues,
  manifest: BatchManifest,
  source: 'hot-folder' | 'ppe-package',
  files: IncomingFile[],
  folder: string,
): Promise<InboxResult> {
  const ingested = await ingestBatch(deps, manifest, source, files);
  await queueRecognition(queues, ingested.newPages);
  return { folder, outcome: 'ingested', batchId: ingested.batchId, newPages: ingested.newPages.length };
}

/** Quarantines what its content failed; leaves what the infrastructure failed for the next scan. */
async function quarantine(inbox: string, name: string, err: unknown): Promise<InboxResult> {
  const reason = err instanceof Error ? err.message : String(err);
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
  deps: StageDeps,
  queues: StageQueues,
  inbox: string,
  packageKeys?: PackageKeys,
): Promise<InboxResult[]> {
  await mkdir(inbox, { recursive: true });
  const results: InboxResult[] = [];
  for (const entry of await readdir(inbox, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(PACKAGE_SUFFIX)) {
      try {
        if (!packageKeys)
          throw new Error('PPE packages are not taken here: no RCOI package key is configured');
        const opened = openPackage(
          new Uint8Array(await readFile(join(inbox, entry.name))),
          packageKeys.rcoi,
          packageKeys.ppe,
        );
        results.push(await take(deps, queues, opened.manifest, 'ppe-package', opened.files, entry.name));
        await moveAside(inbox, entry.name, 'done');
      } catch (err) {
        results.push(await quarantine(inbox, entry.name, err));
      }
      continue;
    }
    if (!entry.isDirectory() || entry.name === 'done' || entry.name === 'quarantine') continue;
    const dir = join(inbox, entry.name);
    const names = await readdir(dir);
    if (!names.includes(MANIFEST)) continue;
    try {
      const manifest = parseBatchManifest(
        JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')),
        join(entry.name, MANIFEST),
      );
      const files: IncomingFile[] = [];
      for (const name of names.sort()) {
        if (name === MANIFEST || name.startsWith('.')) continue;
        const st = await stat(join(dir, name));
        if (!st.isFile()) continue;
        if (st.size > MAX_FILE_BYTES)
          throw new Error(`${name}: ${st.size} bytes, more than a batch file may be`);
        files.push({ name, bytes: async () => new Uint8Array(await readFile(join(dir, name))) });
      }
      results.push(await take(deps, queues, manifest, 'hot-folder', files, entry.name));
      await moveAside(inbox, entry.name, 'done');
    } catch (err) {
      results.push(await quarantine(inbox, entry.name, err));
    }
  }
  return results;
}
