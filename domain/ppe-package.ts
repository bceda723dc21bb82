/**
 * PPE packages: a batch a PPE headquarters scanned, sealed for one RCOI. The content (the batch manifest and
 * its page files) is encrypted with a fresh AES-256-GCM content key; that key is wrapped for the RCOI with
 * X25519 (an ephemeral key agreed with the RCOI's public key, HKDF-SHA256, AES-256-GCM); the header and the
 * ciphertext are signed with the PPE's Ed25519 key. Opening checks, in order: the format, the addressee,
 * the sender's key, the signature, then decrypts; any failure is a reason, and nothing is half-trusted.
 *
 * File: "RCOIPKG1" | u32 header length | header JSON | 64-byte signature | ciphertext (with its GCM tag in
 * the header). All of it is pure: bytes and keys in, bytes or a reason out.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import * as z from 'zod';
import { type BatchManifest, parseBatchManifest } from './batch.ts';

const MAGIC = Buffer.from('RCOIPKG1');
const FORMAT = 'rcoi-ppe-package/1';
const WRAP_INFO = Buffer.from('rcoi ppe package key wrap v1');
const MAX_HEADER = 64 * 1024;

const HeaderSchema = z.strictObject({
  format: z.literal(FORMAT),
  ppe: z.string().regex(/^[A-Za-z0-9._-]{1,20}$/),
  /** SHA-256 of the addressee's X25519 public key (SPKI DER), hex. */
  recipient: z.string().regex(/^[0-9a-f]{64}$/),
  ephemeralKey: z.string().min(1),
  wrapIv: z.string().min(1),
  wrapTag: z.string().min(1),
  wrappedKey: z.string().min(1),
  iv: z.string().min(1),
  tag: z.string().min(1),
  createdAt: z.string().datetime(),
});
type Header = z.infer<typeof HeaderSchema>;

export interface PackageFile {
  name: string;
  bytes: Uint8Array;
}

export type PackageRejection =
  | 'not-a-package'
  | 'wrong-recipient'
  | 'unknown-ppe'
  | 'bad-signature'
  | 'cannot-decrypt'
  | 'bad-content';

export class PackageError extends Error {
  override name = 'PackageError';
  constructor(
    readonly reason: PackageRejection,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}

export function generateRcoiKeys() {
  return generateKeyPairSync('x25519');
}

export function generatePpeKeys() {
  return generateKeyPairSync('ed25519');
}

export const pemOf = (key: KeyObject) =>
  key.type === 'private'
    ? String(key.export({ type: 'pkcs8', format: 'pem' }))
    : String(key.export({ type: 'spki', format: 'pem' }));
export const privateKeyFrom = (pem: string) => createPrivateKey(pem);
export const publicKeyFrom = (pem: string) => createPublicKey(pem);

/** The identifier a package is addressed by: the SHA-256 of the RCOI's public key. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function wrapKey(shared: Buffer, ephemeral: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, ephemeral, WRAP_INFO, 32));
}

/** The content: a JSON index then the files' bytes one after another. */
function encodeContent(manifest: BatchManifest, files: PackageFile[]): Buffer {
  const index = JSON.stringify({
    manifest,
    files: files.map((f) => ({ name: f.name, bytes: f.bytes.length })),
  });
  const head = Buffer.alloc(4);
  head.writeUInt32BE(Buffer.byteLength(index));
  return Buffer.concat([head, Buffer.from(index), ...files.map((f) => Buffer.from(f.bytes))]);
}

const IndexSchema = z.strictObject({
  manifest: z.unknown(),
  files: z.array(
    z.strictObject({ name: z.string().regex(/^[^/\\]{1,200}$/), bytes: z.number().int().min(0) }),
  ),
});

function decodeContent(content: Buffer): { manifest: BatchManifest; files: PackageFile[] } {
  const length = content.readUInt32BE(0);
  const index = IndexSchema.parse(JSON.parse(content.subarray(4, 4 + length).toString('utf8')));
  let at = 4 + length;
  const files = index.files.map((f) => {
    if (at + f.bytes > content.length) throw new Error(`${f.name}: content ends early`);
    const bytes = new Uint8Array(content.subarray(at, at + f.bytes));
    at += f.bytes;
    return { name: f.name, bytes };
  });
  if (at !== content.length) throw new Error('bytes after the last file');
  return { manifest: parseBatchManifest(index.manifest, 'in the package'), files };
}

export function sealPackage(opts: {
  ppe: string;
  ppeKey: KeyObject;
  rcoiPublicKey: KeyObject;
  manifest: BatchManifest;
  files: PackageFile[];
  now?: Date;
}): Uint8Array {
  const contentKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', contentKey, iv);
  const ciphertext = Buffer.concat([cipher.update(encodeContent(opts.manifest, opts.files)), cipher.final()]);
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralDer = ephemeral.publicKey.export({ type: 'spki', format: 'der' });
  const kek = wrapKey(
    diffieHellman({ privateKey: ephemeral.privateKey, publicKey: opts.rcoiPublicKey }),
    ephemeralDer,
  );
  const wrapIv = randomBytes(12);
  const wrap = createCipheriv('aes-256-gcm', kek, wrapIv);
  const wrappedKey = Buffer.concat([wrap.update(contentKey), wrap.final()]);
  const header: Header = {
    format: FORMAT,
    ppe: opts.ppe,
    recipient: keyId(opts.rcoiPublicKey),
    ephemeralKey: ephemeralDer.toString('base64'),
    wrapIv: wrapIv.toString('base64'),
    wrapTag: wrap.getAuthTag().toString('base64'),
    wrappedKey: wrappedKey.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    createdAt: (opts.now ?? new Date()).toISOString(),
  };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(headerBytes.length);
  const signature = sign(null, Buffer.concat([headerBytes, ciphertext]), opts.ppeKey);
  return new Uint8Array(Buffer.concat([MAGIC, length, headerBytes, signature, ciphertext]));
}

/** The PPE a package says it comes from, before anything is trusted: to find its key. */
function readEnvelope(bytes: Uint8Array): {
  header: Header;
  headerBytes: Buffer;
  signature: Buffer;
  ciphertext: Buffer;
} {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC))
    throw new PackageError('not-a-package', 'no RCOIPKG1 signature at the start');
  const length = buf.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (length > MAX_HEADER || start + length + 64 > buf.length)
    throw new PackageError('not-a-package', 'header length out of range');
  const headerBytes = buf.subarray(start, start + length);
  let header: Header;
  try {
    header = HeaderSchema.parse(JSON.parse(headerBytes.toString('utf8')));
  } catch (err) {
    throw new PackageError('not-a-package', `bad header: ${(err as Error).message.split('\n')[0]}`);
  }
  const signature = buf.subarray(start + length, start + length + 64);
  return { header, headerBytes, signature, ciphertext: buf.subarray(start + length + 64) };
}

/** What opening needs: this RCOI's key pair and the registered PPE keys. */
export interface PackageKeys {
  rcoi: { privateKey: KeyObject; publicKey: KeyObject };
  ppe: (code: string) => KeyObject | undefined;
}

export interface OpenedPackage {
  ppe: string;
  createdAt: string;
  manifest: BatchManifest;
  files: PackageFile[];
}

export function openPackage(
  bytes: Uint8Array,
  rcoi: { privateKey: KeyObject; publicKey: KeyObject },
  ppeKeys: (ppe: string) => KeyObject | undefined,
): OpenedPackage {
  const { header, headerBytes, signature, ciphertext } = readEnvelope(bytes);
  if (header.recipient !== keyId(rcoi.publicKey))
    throw new PackageError(
      'wrong-recipient',
      `addressed to key ${header.recipient.slice(0, 16)}…, not this RCOI`,
    );
  const ppeKey = ppeKeys(header.ppe);
  if (!ppeKey) throw new PackageError('unknown-ppe', `no registered key for PPE ${header.ppe}`);
  if (!verify(null, Buffer.concat([headerBytes, ciphertext]), ppeKey, signature))
    throw new PackageError('bad-signature', `not signed by PPE ${header.ppe}'s key, or changed since`);
  let content: Buffer;
  try {
    const ephemeralDer = Buffer.from(header.ephemeralKey, 'base64');
    const ephemeral = createPublicKey({ key: ephemeralDer, format: 'der', type: 'spki' });
    const kek = wrapKey(diffieHellman({ privateKey: rcoi.privateKey, publicKey: ephemeral }), ephemeralDer);
    const unwrap = createDecipheriv('aes-256-gcm', kek, Buffer.from(header.wrapIv, 'base64'));
    unwrap.setAuthTag(Buffer.from(header.wrapTag, 'base64'));
    const contentKey = Buffer.concat([
      unwrap.update(Buffer.from(header.wrappedKey, 'base64')),
      unwrap.final(),
    ]);
    const decipher = createDecipheriv('aes-256-gcm', contentKey, Buffer.from(header.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(header.tag, 'base64'));
    content = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (err) {
    throw new PackageError('cannot-decrypt', (err as Error).message);
  }
  let decoded: { manifest: BatchManifest; files: PackageFile[] };
  try {
    decoded = decodeContent(content);
  } catch (err) {
    throw new PackageError('bad-content', (err as Error).message.split('\n')[0] ?? 'unreadable');
  }
  if (decoded.manifest.ppe !== undefined && decoded.manifest.ppe !== header.ppe)
    throw new PackageError(
      'bad-content',
      `manifest says PPE ${decoded.manifest.ppe}, the package ${header.ppe}`,
    );
  return { ppe: header.ppe, createdAt: header.createdAt, ...decoded };
}
