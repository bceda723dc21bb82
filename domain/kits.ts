/**
 * A participant's kit: the printing system issues a registration form, an answer sheet 1 and answer sheets 2
 * (sheet 1 and sheet 2) together; additional answer sheets 2 hang off sheet 2 by their link fields. Which
 * place in a kit a sheet of a form fills follows from its definition, so a new edition needs no code.
 */
import type { FormDefinition } from '../forms/schema.ts';

export const KIT_ROLES = ['registration', 'as1', 'as2-1', 'as2-2'] as const;
export type KitRole = (typeof KIT_ROLES)[number];

/**
 * The kit role a sheet of this form fills: by its kind, and for answer sheets 2 by whether it carries the
 * link to the additional sheets (sheet 2 does, sheet 1 does not). Null for forms that are in no kit.
 */
export function kitRole(def: Pick<FormDefinition, 'kind' | 'fields'>): KitRole | null {
  switch (def.kind) {
    case 'registration':
      return 'registration';
    case 'answer-sheet-1':
      return 'as1';
    case 'answer-sheet-2':
      return def.fields.some((f) => f.kind === 'link' && f.target === 'additional-answer-sheet-2')
        ? 'as2-2'
        : 'as2-1';
    default:
      return null;
  }
}

/** Each form's kit role by form id (forms in no kit left out). */
export function kitRoles(forms: readonly FormDefinition[]): Map<string, KitRole> {
  return new Map(
    forms.flatMap((f) => {
      const role = kitRole(f);
      return role ? [[f.id, role] as const] : [];
    }),
  );
}
