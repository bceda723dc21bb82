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
  ObjectIntegrityError,
  type ObjectMeta,
  type ObjectStore,
  objectKey,
  s3ObjectStore,
} from '../platform/objects.ts';
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

  it('refuses a body that does not hash to the SHA-256 it is stored under, storing nothing', async () => {
    const store = await make();
    const forged = new TextEncoder().encode("another page under the first one's name");
    await expect(store.put(key, forged, meta)).rejects.toThrow(ObjectIntegrityError);
    expect(await store.stat(key)).toBeNull();
    await store.put(key, body, meta);
    expect(sha256(await store.get(key))).toBe(sha);
  });
});

describe('object store: s3 object lock and lifecycle backstop', () => {
  const s = testServices().s3;
  const client = async () => {
    const { Client } = await import('minio');
    return new Client({ ...s, useSSL: false });
  };
  const put = async (store: ObjectStore, text: string) => {
    const body = new TextEncoder().encode(text);
    const key = objectKey(2026, 'as2-image', sha256(body));
    await store.put(key, body, {
      material: 'as2-image',
      examDate: '2026-06-01',
      sha256: sha256(body),
      contentType: 'text/plain',
    });
    return key;
  };

  it('binds a legal hold in the store only where the bucket has object lock', async () => {
    const bucket = `rcoi-test-lock-${Date.now().toString(36)}`;
    const locked = await s3ObjectStore({ ...s, bucket });
    const plain = await s3ObjectStore({
      ...s,
      bucket: `rcoi-test-nolock-${Date.now().toString(36)}`,
      objectLock: false,
    });
    expect([locked.enforcesHolds, plain.enforcesHolds]).toEqual([true, false]);
    const key = await put(locked, 'held page');
    await locked.setLegalHold(key, true);
    await expect(locked.delete(key)).rejects.toThrow(/legal hold/);
    expect(await locked.stat(key)).not.toBeNull();
    await locked.setLegalHold(key, false);
    await locked.delete(key);
    // Destroyed means every version, not a delete marker over the bytes.
    const versions: unknown[] = [];
    for await (const v of (await client()).listObjects(bucket, key, false, { IncludeVersion: true }))
      versions.push(v);
    expect(versions).toEqual([]);
  });

  it('lets the expiry rules take what is not held and keeps what is', async () => {
    const bucket = `rcoi-test-lc-${Date.now().toString(36)}`;
    const store = await s3ObjectStore({ ...s, bucket });
    const [free, held] = [await put(store, 'free page'), await put(store, 'held page')];
    await store.setLegalHold(held, true);
    // A rule already due, as if the sweeper had been down past the deadline (the test server's lifecycle
    // "day" is 10 s).
    expect(
      await store.setExpiryBackstops([{ prefix: '2026/as2-image/', from: new Date('2026-01-01T00:00:00Z') }]),
    ).toBe(true);
    const lc = JSON.stringify(await (await client()).getBucketLifecycle(bucket));
    expect(lc).toContain('2026/as2-image/');
    expect(lc).toContain('NoncurrentVersionExpiration');
    const versionsOf = async (key: string) => {
      const out: { isDeleteMarker?: boolean }[] = [];
      for await (const v of (await client()).listObjects(bucket, key, false, { IncludeVersion: true }))
        out.push(v as { isDeleteMarker?: boolean });
      return out;
    };
    const bytesOf = async (key: string) => (await versionsOf(key)).filter((v) => !v.isDeleteMarker);
    const until = Date.now() + 120_000;
    while ((await bytesOf(free)).length > 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 2000));
    expect(await bytesOf(free)).toEqual([]);
    // The held object's bytes survive; putting the hold again lifts the rule's delete marker.
    expect(await bytesOf(held)).toHaveLength(1);
    await store.setLegalHold(held, true);
    expect(new TextDecoder().decode(await store.get(held))).toBe('held page');
    await store.setExpiryBackstops([]);
    await expect((await client()).getBucketLifecycle(bucket)).rejects.toMatchObject({
      code: 'NoSuchLifecycleConfiguration',
    });
  }, 180_000);
});
