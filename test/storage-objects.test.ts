/**
 * The object stores: a local folder, and the real S3-compatible server (Ceph RGW) the test setup starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../pipeline/page-job.ts';
import {
  folderObjectStore,
  type ObjectMeta,
  type ObjectStore,
  objectKey,
  s3ObjectStore,
} from '../storage/objects.ts';
import { testServices } from './services.ts';

const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

const stores: [string, () => Promise<ObjectStore>][] = [
  [
    'folder',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rcoi-objects-'));
      folders.push(dir);
      return folderObjectStore(dir);
    },
  ],
  [
    's3',
    async () => {
      const s = testServices().s3;
      return s3ObjectStore({ ...s, bucket: `rcoi-test-${Date.now().toString(36)}` });
    },
  ],
];

describe.each(stores)('object store: %s', (_name, make) => {
  const body = new TextEncoder().encode('a scanned page, or something like it');
  const sha = sha256(body);
  const meta: ObjectMeta = {
    material: 'as2-image',
    examDate: '2026-06-01',
    sha256: sha,
    contentType: 'image/png',
  };
  const key = objectKey(2026, 'as2-image', sha);

  it('lays keys out by exam year and material kind', () => {
    expect(key).toBe(`2026/as2-image/${sha.slice(0, 2)}/${sha}`);
    expect(() => objectKey(2026, 'as2-image', 'not-a-hash')).toThrow(/SHA-256/);
  });

  it('stores an object with its metadata, lists, reads and deletes it', async () => {
    const store = await make();
    await store.put(key, body, meta);
    const other = objectKey(2026, 'as1-image', sha);
    await store.put(other, body, { ...meta, material: 'as1-image' });
    expect(await store.stat(key)).toEqual({ key, bytes: body.length, meta });
    expect(await store.list('2026/as2-image/')).toEqual([key]);
    expect(await store.list('2026/')).toEqual([other, key].sort());
    expect(sha256(await store.get(key))).toBe(sha);
    await store.delete(key);
    expect(await store.stat(key)).toBeNull();
    expect(await store.list('2026/as2-image/')).toEqual([]);
    expect(await store.stat(other)).not.toBeNull();
  });
});

describe('object store: s3 lifecycle backstop', () => {
  it('sets an expiry rule for a prefix on the bucket', async () => {
    const s = testServices().s3;
    const bucket = `rcoi-test-lc-${Date.now().toString(36)}`;
    const store = await s3ObjectStore({ ...s, bucket });
    expect(
      await store.setExpiryBackstop('as2-2026', '2026/as2-image/', new Date('2027-03-01T22:00:00Z')),
    ).toBe(true);
    const { Client } = await import('minio');
    const client = new Client({
      endPoint: s.endPoint,
      port: s.port,
      useSSL: false,
      accessKey: s.accessKey,
      secretKey: s.secretKey,
      region: s.region,
    });
    const lc = await client.getBucketLifecycle(bucket);
    expect(JSON.stringify(lc)).toContain('2027-03-02T00:00:00');
    expect(JSON.stringify(lc)).toContain('2026/as2-image/');
  });
});
