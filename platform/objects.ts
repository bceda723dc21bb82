/**
 * Images in object storage behind one small interface: S3 (MinIO in production, any S3-compatible server)
 * through the minio client, or a local folder for the embedded default. Keys are laid out by exam year and
 * material kind (`2026/as2-image/ab/abcdef…`), so retention and lifecycle rules work on prefixes, and every
 * object carries its material kind, exam date and SHA-256 as metadata.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { finished } from 'node:stream/promises';
import * as Minio from 'minio';
import type { MaterialKind } from '../domain/retention.ts';
import { guarded } from './failures.ts';

export interface ObjectMeta {
  material: MaterialKind;
  /** YYYY-MM-DD */
  examDate: string;
  sha256: string;
  contentType: string;
}

export interface StoredObject {
  key: string;
  bytes: number;
  meta: ObjectMeta;
}

export interface ObjectStore {
  readonly kind: 's3' | 'folder';
  /** `meta.sha256` is the body's: a body that does not hash to it is refused (ObjectIntegrityError). */
  put(key: string, body: Uint8Array, meta: ObjectMeta): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** null when there is no such object. */
  stat(key: string): Promise<StoredObject | null>;
  /** Deletes every version of the object; refused by a store that holds it. */
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /**
   * Whether the store itself refuses to delete an object under legal hold (S3 object lock): a second guard
   * beside the database's holds, against any deleter, the lifecycle backstop included.
   */
  readonly enforcesHolds: boolean;
  /**
   * Puts the store's legal hold on every version of the object, or lifts it; putting it also removes a
   * delete marker that an expiry rule laid over a held object. A no-op where the store enforces no holds.
   */
  setLegalHold(key: string, on: boolean): Promise<void>;
  /**
   * Replaces the store's own expiry rules with these (a backstop behind the sweeper, never the guard); false
   * when the store has no such rules.
   */
  setExpiryBackstops(rules: ExpiryBackstop[]): Promise<boolean>;
}

export class ObjectIntegrityError extends Error {
  constructor(key: string, sha256: string) {
    super(`${key}: the body's SHA-256 is not ${sha256}; nothing stored`);
  }
}

/** Everything under `prefix` may be expired by the store from `from` (a midnight UTC) on. */
export interface ExpiryBackstop {
  prefix: string;
  from: Date;
}

/** Where an object of this material, exam year and content lives. */
export function objectKey(examYear: number, material: MaterialKind, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
  return `${examYear}/${material}/${sha256.slice(0, 2)}/${sha256}`;
}

/** The year-and-material prefix of a key: what the store's expiry rules select. */
export function objectPrefix(key: string): string {
  return `${key.split('/', 2).join('/')}/`;
}

const META_HEADERS = {
  material: 'x-amz-meta-material',
  examDate: 'x-amz-meta-exam-date',
  sha256: 'x-amz-meta-sha256',
} as const;

export interface S3Settings {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  region: string;
  bucket: string;
  /** Create the bucket with S3 object lock, so legal holds bind the store too (default true). */
  objectLock?: boolean;
}

/** An S3 bucket, created on first use. */
export async function s3ObjectStore(s: S3Settings): Promise<ObjectStore> {
  const client = new Minio.Client({
    endPoint: s.endPoint,
    port: s.port,
    useSSL: s.useSSL,
    accessKey: s.accessKey,
    secretKey: s.secretKey,
    region: s.region,
  });
  // Requests sign their body's SHA-256 (over TLS too): a scan's is the hash that names it, known before the
  // put, so the store checks the bytes against their name and the client hashes nothing (see put).
  client.enableSHA256 = true;
  if (!(await client.bucketExists(s.bucket))) {
    try {
      await client.makeBucket(s.bucket, s.region, { ObjectLocking: s.objectLock ?? true });
    } catch (err) {
      // Another process made it in the meantime.
      if (!(await client.bucketExists(s.bucket))) throw err;
    }
  }
  // Object lock is fixed when a bucket is made: an existing bucket without it keeps only the database's holds.
  // (The client's typings list a void overload first.)
  const lockConfig = client.getObjectLockConfig(s.bucket) as unknown as Promise<Minio.ObjectLockInfo>;
  const enforcesHolds = await lockConfig.then(
    (c) => c.objectLockEnabled === 'Enabled',
    () => false,
  );
  const versionsOf = async (key: string) => {
    const versions: { versionId: string; isDeleteMarker: boolean }[] = [];
    for await (const item of client.listObjects(s.bucket, key, false, { IncludeVersion: true })) {
      const v = item as Minio.BucketItem & { versionId?: string; isDeleteMarker?: boolean };
      if (v.name === key)
        versions.push({ versionId: v.versionId ?? 'null', isDeleteMarker: !!v.isDeleteMarker });
    }
    return versions;
  };
  return guarded('object store', {
    kind: 's3',
    enforcesHolds,
    async put(key, body, meta) {
      // Not putObject: it copies the body twice and hashes it with MD5 for Content-MD5, 3 ms of the client's
      // CPU per scan (BENCHMARKS.md). A request signed with the SHA-256 the caller knows is one the store
      // refuses unless the bytes hash to it. The method is typed but marked internal: the store tests
      // (test/storage-objects.test.ts) put and read back through it, and see a wrong hash refused.
      const res = await client
        .makeRequestStreamAsync(
          {
            method: 'PUT',
            bucketName: s.bucket,
            objectName: key,
            headers: {
              'Content-Length': body.byteLength,
              'Content-Type': meta.contentType,
              [META_HEADERS.material]: meta.material,
              [META_HEADERS.examDate]: meta.examDate,
              [META_HEADERS.sha256]: meta.sha256,
            },
          },
          Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          meta.sha256,
          [200],
          '',
        )
        .catch((err: unknown) => {
          if ((err as { code?: string }).code === 'XAmzContentSHA256Mismatch')
            throw new ObjectIntegrityError(key, meta.sha256);
          throw err;
        });
      await finished(res.resume());
    },
    async get(key) {
      const chunks: Buffer[] = [];
      for await (const chunk of await client.getObject(s.bucket, key)) chunks.push(chunk as Buffer);
      // A Buffer is a Uint8Array: no second copy of the scan.
      return Buffer.concat(chunks);
    },
    async stat(key) {
      try {
        const st = await client.statObject(s.bucket, key);
        const m = st.metaData as Record<string, string>;
        return {
          key,
          bytes: st.size,
          meta: {
            material: m.material as MaterialKind,
            examDate: m['exam-date'] ?? '',
            sha256: m.sha256 ?? '',
            contentType: m['content-type'] ?? '',
          },
        };
      } catch (err) {
        if ((err as { code?: string }).code === 'NotFound') return null;
        throw err;
      }
    },
    async delete(key) {
      if (!enforcesHolds) return client.removeObject(s.bucket, key);
      // A versioned bucket keeps a deleted object's bytes as an old version: destruction removes them all.
      for (const v of await versionsOf(key)) {
        try {
          await client.removeObject(s.bucket, key, { versionId: v.versionId });
        } catch (err) {
          if ((err as { code?: string }).code === 'AccessDenied')
            throw new Error(`${key} is under a legal hold in the object store`);
          throw err;
        }
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      for await (const item of client.listObjectsV2(s.bucket, prefix, true)) {
        if (item.name) keys.push(item.name);
      }
      return keys.sort();
    },
    async setLegalHold(key, on) {
      if (!enforcesHolds) return;
      for (const v of await versionsOf(key)) {
        if (v.isDeleteMarker) {
          if (on) await client.removeObject(s.bucket, key, { versionId: v.versionId });
          continue;
        }
        await client.setObjectLegalHold(s.bucket, key, { status: on ? 'ON' : 'OFF', versionId: v.versionId });
      }
    },
    async setExpiryBackstops(backstops) {
      if (backstops.length === 0) {
        await client.removeBucketLifecycle(s.bucket);
        return true;
      }
      const rules = backstops.map(
        (b): Minio.LifecycleRule => ({
          ID: `rcoi:${b.prefix}`,
          Status: 'Enabled',
          Filter: { Prefix: b.prefix },
          Expiration: { Date: b.from.toISOString() } as Minio.LifecycleRule['Expiration'],
          // Expiry lays a delete marker in a versioned bucket; the bytes go a day later, held ones never.
          ...(enforcesHolds && { NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
        }),
      );
      await client.setBucketLifecycle(s.bucket, { Rule: rules });
      return true;
    },
  });
}

/** A folder: each object a file, its metadata in a sidecar. For the embedded default and tools. */
export function folderObjectStore(root: string): ObjectStore {
  const file = (key: string) => {
    if (key.split('/').some((part) => part === '' || part === '.' || part === '..'))
      throw new Error(`bad object key: ${key}`);
    return join(root, ...key.split('/'));
  };
  const metaFile = (key: string) => `${file(key)}.meta.json`;
  return guarded('object store', {
    kind: 'folder',
    async put(key, body, meta) {
      if (createHash('sha256').update(body).digest('hex') !== meta.sha256)
        throw new ObjectIntegrityError(key, meta.sha256);
      await mkdir(dirname(file(key)), { recursive: true });
      // Metadata first: an object without its sidecar would be unaccounted for by retention.
      await writeFile(metaFile(key), JSON.stringify(meta));
      await writeFile(file(key), body);
    },
    async get(key) {
      return new Uint8Array(await readFile(file(key)));
    },
    async stat(key) {
      try {
        const [st, meta] = await Promise.all([stat(file(key)), readFile(metaFile(key), 'utf8')]);
        return { key, bytes: st.size, meta: JSON.parse(meta) as ObjectMeta };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async delete(key) {
      await rm(file(key), { force: true });
      await rm(metaFile(key), { force: true });
    },
    async list(prefix) {
      const keys: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries: import('node:fs').Dirent[];
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw err;
        }
        for (const e of entries) {
          const path = join(dir, e.name);
          if (e.isDirectory()) await walk(path);
          else if (!e.name.endsWith('.meta.json')) keys.push(relative(root, path).split(sep).join('/'));
        }
      };
      await walk(root);
      return keys.filter((k) => k.startsWith(prefix)).sort();
    },
    enforcesHolds: false,
    async setLegalHold() {},
    async setExpiryBackstops() {
      return false;
    },
  });
}
