import { describe, expect, it } from 'vitest';
import { kitRole, kitRoles } from '../domain/kits.ts';
import { shippedForms } from '../forms/definitions.ts';

const form = (id: string) => shippedForms().find((f) => f.id === id)!;

describe('the kit role of a form', () => {
  it.each([
    ['ege-registration', 'registration'],
    ['ege-as1-2022', 'as1'],
    ['ege-as1-2023', 'as1'],
    ['ege-as2-1', 'as2-1'],
    ['ege-as2-2', 'as2-2'],
    ['ege-as2-additional', null],
    ['ege-protocol', null],
    ['bubble-sheet-60x5', null],
  ])('%s fills %s', (id, role) => {
    expect(kitRole(form(id))).toBe(role);
  });

  it('follows from the definition, so a new edition fills its place without a code change', () => {
    const as1 = { ...form('ege-as1-2023'), id: 'ege-as1-2027', edition: '2027' };
    const sheet2 = { ...form('ege-as2-2'), id: 'ege-as2-2-2027' };
    // Sheet 2 without its link to the additional sheets would be sheet 1.
    const unlinked = { ...sheet2, fields: sheet2.fields.filter((f) => f.kind !== 'link') };
    expect(kitRole(as1)).toBe('as1');
    expect(kitRole(sheet2)).toBe('as2-2');
    expect(kitRole(unlinked)).toBe('as2-1');
    expect(kitRoles([as1, sheet2, form('ege-protocol')])).toEqual(
      new Map([
        ['ege-as1-2027', 'as1'],
        ['ege-as2-2-2027', 'as2-2'],
      ]),
    );
  });
});
