/**
 * Hot folders: a scanning station drops a batch as a folder of page files with its manifest, batch.json,
 * written last. Each scan of the inbox takes the complete folders, ingests them, queues their new pages, and
 * moves them to done/ or, with the reason beside them, to quarantine/. A bad file is a rejected page, never
 * a lost batch; only a batch that cannot be taken at all (no valid manifest, unknown exam) is quarantined.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBatchManifest } from '../domain/batch.ts';
import type { StageQueues } from '../workers/queues.ts';
import { type IncomingFile, ingestBatch, type StageDeps } from '../workers/stages/ingest.ts';

const MANIFEST = 'batch.json';
const MAX_FILE_BYTES = 200 * 1024 * 1024;

export interface InboxResult {
  folder: string;
  outcome: 'ingested' | 'quarantined';
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

export async function scanInbox(deps: StageDeps, queues: StageQueues, inbox: string): Promise<InboxResult[]> {
  await mkdir(inbox, { recursive: true });
  const results: InboxResult[] = [];
  for (const entry of await readdir(inbox, { withFileTypes: true })) {
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
        files.push({ name, bytes: new Uint8Array(await readFile(join(dir, name))) });
      }
      const ingested = await ingestBatch(deps, manifest, 'hot-folder', files);
      for (const pageId of ingested.newPages) await queues.add('recognise', pageId, { pageId });
      await moveAside(inbox, entry.name, 'done');
      results.push({
        folder: entry.name,
        outcome: 'ingested',
        batchId: ingested.batchId,
        newPages: ingested.newPages.length,
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const target = await moveAside(inbox, entry.name, 'quarantine');
      await writeFile(join(target, 'QUARANTINED.txt'), `${reason}\n`);
      results.push({ folder: entry.name, outcome: 'quarantined', reason });
    }
  }
  return results;
}
