import { describe, expect, it } from 'vitest';
import { parseBatchManifest, reconcile } from '../domain/batch.ts';

describe('batch manifest', () => {
  it('reads a manifest and names what is wrong in a bad one', () => {
    const m = parseBatchManifest(
      {
        batch: 'r12-001',
        station: 'ppe-0101-scan-1',
        exam: '2026-ege-02',
        declared: { 'answer-sheet-1': 30 },
      },
      'inbox/r12-001/batch.json',
    );
    expect(m.declared).toEqual({ 'answer-sheet-1': 30 });
    expect(() =>
      parseBatchManifest({ batch: '../etc', station: 's', exam: 'e', declared: { as9: 1 } }, 'x/batch.json'),
    ).toThrow(/invalid batch manifest x\/batch.json:\n {2}batch: .*\n {2}declared: Unrecognized key: "as9"/);
  });
});

describe('count reconciliation', () => {
  it.each([
    {
      why: 'everything adds up',
      input: {
        declared: { 'answer-sheet-1': 2 },
        receivedPages: 2,
        pendingPages: 0,
        recognised: { 'answer-sheet-1': 2 },
      },
      discrepancies: [],
    },
    {
      why: 'a page missing from the delivery',
      input: {
        declared: { 'answer-sheet-1': 2 },
        receivedPages: 1,
        pendingPages: 0,
        recognised: { 'answer-sheet-1': 1 },
      },
      discrepancies: ['received 1 pages, declared 2', 'answer-sheet-1: recognised 1, declared 2'],
    },
    {
      why: 'still recognising: kinds are not compared yet',
      input: {
        declared: { 'answer-sheet-1': 2 },
        receivedPages: 2,
        pendingPages: 1,
        recognised: { 'answer-sheet-1': 1 },
      },
      discrepancies: [],
    },
    {
      why: 'a sheet of a kind nobody declared, and a rejected page',
      input: {
        declared: { 'answer-sheet-1': 1, registration: 1 },
        receivedPages: 3,
        pendingPages: 0,
        recognised: { 'answer-sheet-1': 1, protocol: 1, unidentified: 1 },
      },
      discrepancies: [
        'received 3 pages, declared 2',
        'protocol: recognised 1, declared 0',
        'registration: recognised 0, declared 1',
        '1 pages rejected or unidentified',
      ],
    },
  ])('$why', ({ input, discrepancies }) => {
    expect(reconcile(input).discrepancies).toEqual(discrepancies);
  });

  it('says each discrepancy as a code with what it names, for the stations to say in Russian', () => {
    const { notes } = reconcile({
      declared: { 'answer-sheet-1': 2 },
      receivedPages: 3,
      pendingPages: 0,
      recognised: { 'answer-sheet-1': 1, unidentified: 2 },
    });
    expect(notes).toEqual([
      { code: 'batch-pages-differ', params: { received: 3, declared: 2 } },
      { code: 'batch-kind-differs', params: { kind: 'answer-sheet-1', recognised: 1, declared: 2 } },
      { code: 'batch-pages-unidentified', params: { pages: 2 } },
    ]);
  });
});
