/** The character model file (forms/model.bin): a JSON header and the network's float32 tensors. */
import { readFileSync } from 'node:fs';
import { CharacterNet, type NetShape, type NetWeights, TENSOR_NAMES, tensorSizes } from './character-net.ts';

/** Header of model.bin (JSON after the magic and length). */
export interface ModelHeader {
  shape: NetShape;
  /** Class labels: one symbol, or exact-homoglyph twins sharing a class (e.g. 'АA'). */
  classes: string[];
  /** Softmax temperature fitted on the validation split. */
  temperature: number;
  /** Proposed accept threshold on `confidence` (see the training report in the header). */
  acceptThreshold: number;
  /** Free-form provenance: seed, data, split sizes, validation figures. */
  training: Record<string, unknown>;
}

export interface CharacterModel {
  header: ModelHeader;
  net: CharacterNet;
  /** symbol → class index. */
  classOf: Map<string, number>;
}

const MAGIC = 'RCC1';

export function encodeModel(header: ModelHeader, weights: NetWeights): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = 8 + json.length;
  const pad = (4 - (headerLen % 4)) % 4;
  const sizes = tensorSizes(header.shape);
  const total = TENSOR_NAMES.reduce((s, k) => s + sizes[k], 0);
  const out = new Uint8Array(headerLen + pad + total * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  const floats = new Float32Array(out.buffer, headerLen + pad, total);
  let at = 0;
  for (const k of TENSOR_NAMES) {
    floats.set(weights[k], at);
    at += sizes[k];
  }
  return out;
}

export function decodeModel(bytes: Uint8Array): CharacterModel {
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== MAGIC) throw new Error(`not a character model (magic '${magic}')`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as ModelHeader;
  const headerLen = 8 + len;
  const start = headerLen + ((4 - (headerLen % 4)) % 4);
  const sizes = tensorSizes(header.shape);
  // Copy into a fresh buffer so the floats are aligned: a Buffer's slice() is a view into a shared pool.
  const body = new Uint8Array(bytes.length - start);
  body.set(bytes.subarray(start));
  const floats = new Float32Array(body.buffer);
  const weights = {} as NetWeights;
  let at = 0;
  for (const k of TENSOR_NAMES) {
    if (at + sizes[k] > floats.length) throw new Error('character model file is truncated');
    weights[k] = Float64Array.from(floats.subarray(at, at + sizes[k]));
    at += sizes[k];
  }
  const classOf = new Map<string, number>();
  header.classes.forEach((label, c) => {
    for (const ch of label) classOf.set(ch, c);
  });
  return { header, net: new CharacterNet(header.shape, weights), classOf };
}

export const MODEL_URL = new URL('../forms/model.bin', import.meta.url);

let cached: CharacterModel | undefined;

/** The committed model, read once. */
export function loadCharacterModel(): CharacterModel {
  cached ??= decodeModel(readFileSync(MODEL_URL));
  return cached;
}
