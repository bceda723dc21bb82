import { describe, expect, it } from 'vitest';
import type { BatchManifest } from '../domain/batch.ts';
import {
  generatePpeKeys,
  generateRcoiKeys,
  keyId,
  openPackage,
  PackageError,
  type PackageRejection,
  sealPackage,
} from '../domain/ppe-package.ts';

const rcoi = generateRcoiKeys();
const otherRcoi = generateRcoiKeys();
const ppe0101 = generatePpeKeys();
const ppe0202 = generatePpeKeys();
const registry = (ppe: string) => ({ '0101': ppe0101.publicKey, '0202': ppe0202.publicKey })[ppe];

const manifest: BatchManifest = {
  batch: 'r12-001',
  station: 'ppe-0101-hq',
  exam: '2026-ege-02',
  ppe: '0101',
  room: '12',
  declared: { 'answer-sheet-1': 2 },
};
const files = [
  { name: 'p1.tif', bytes: new Uint8Array([1, 2, 3, 4]) },
  { name: 'p2.tif', bytes: new Uint8Array(1000).fill(7) },
];
const sealed = (over: Partial<Parameters<typeof sealPackage>[0]> = {}) =>
  sealPackage({
    ppe: '0101',
    ppeKey: ppe0101.privateKey,
    rcoiPublicKey: rcoi.publicKey,
    manifest,
    files,
    ...over,
  });

function rejection(bytes: Uint8Array, keys = rcoi): PackageRejection | 'opened' {
  try {
    openPackage(bytes, keys, registry);
    return 'opened';
  } catch (err) {
    if (err instanceof PackageError) return err.reason;
    throw err;
  }
}

describe('PPE packages', () => {
  it('opens what a PPE sealed for this RCOI', () => {
    const opened = openPackage(sealed(), rcoi, registry);
    expect(opened.ppe).toBe('0101');
    expect(opened.manifest).toEqual(manifest);
    expect(opened.files).toEqual(files);
  });

  it('hides the content: no file bytes or manifest text in the clear', () => {
    const text = Buffer.from(sealed()).toString('latin1');
    expect(text).not.toContain('r12-001');
    expect(text).not.toContain(String.fromCharCode(7).repeat(50));
  });

  it.each([
    ['addressed to another RCOI', () => sealed({ rcoiPublicKey: otherRcoi.publicKey }), 'wrong-recipient'],
    ['from a PPE with no registered key', () => sealed({ ppe: '0303' }), 'unknown-ppe'],
    ['signed by another PPE in 0101’s name', () => sealed({ ppeKey: ppe0202.privateKey }), 'bad-signature'],
    [
      'with one byte of the content changed',
      () => {
        const b = sealed();
        b[b.length - 10]! ^= 1;
        return b;
      },
      'bad-signature',
    ],
    [
      'with its header edited (another date)',
      () => {
        const b = Buffer.from(sealed());
        const at = b.indexOf('"createdAt":"2');
        b[at + 14] = '3'.charCodeAt(0);
        return new Uint8Array(b);
      },
      'bad-signature',
    ],
    [
      'cut short',
      () => {
        const b = sealed();
        return b.subarray(0, b.length - 100);
      },
      'bad-signature',
    ],
    ['cut inside its header', () => sealed().subarray(0, 200), 'not-a-package'],
    ['not a package at all', () => new Uint8Array(500).fill(65), 'not-a-package'],
    [
      'whose manifest names another PPE than its sender',
      () => sealed({ ppe: '0202', ppeKey: ppe0202.privateKey }),
      'bad-content',
    ],
  ] as [string, () => Uint8Array, PackageRejection][])('refuses a package %s', (_what, make, reason) => {
    expect(rejection(make())).toBe(reason);
  });

  it('names the addressee by the SHA-256 of its public key', () => {
    expect(keyId(rcoi.publicKey)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyId(rcoi.publicKey)).not.toBe(keyId(otherRcoi.publicKey));
  });
});
