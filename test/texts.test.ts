/**
 * The stations' Russian catalogue against what the server can say: every error code (platform/errors.ts)
 * and every message code (contract/messages.ts) has a Russian text, filled in from its parameters, and a
 * code the catalogue does not know is said in Russian too, never passed through in English.
 */
import { describe, expect, it } from 'vitest';
import { MESSAGE_CODES } from '../contract/messages.ts';
import { ERROR_STATUS } from '../platform/errors.ts';
import { actorName, alphabetText, KNOWN_CODES, say } from '../web/app/texts.ts';

const SERVER_CODES = [...Object.keys(ERROR_STATUS), ...MESSAGE_CODES];
// Latin words a text of the catalogue may hold: none; parameters are filled in after.
const LATIN = /[A-Za-z]/;

describe('the stations’ texts for server codes', () => {
  it('has a Russian text for every code the server can send', () => {
    expect(SERVER_CODES.filter((code) => !KNOWN_CODES.includes(code))).toEqual([]);
    for (const code of SERVER_CODES) {
      const text = say({ code, params: {} });
      expect(text, code).toMatch(/[А-Яа-яЁё]/);
      expect(text.replace(/\{\w+\}/g, ''), code).not.toMatch(LATIN);
    }
  });

  it('fills in the parameters, saying codes among them in Russian', () => {
    expect(say({ code: 'batch-pages-differ', params: { received: 15, declared: 13 } })).toBe(
      'получено страниц: 15, заявлено: 13',
    );
    expect(
      say({ code: 'batch-kind-differs', params: { kind: 'protocol', recognised: 1, declared: 0 } }),
    ).toBe('бланк-протокол: распознано 1, заявлено 0');
    expect(say({ code: 'work-sheet-not-received', params: { role: 'as2-2', sheet: '2100000000046' } })).toBe(
      'бланк ответов № 2 (лист 2) 2100000000046 не получен',
    );
    expect(say({ code: 'unknown-exam', params: {} })).toBe('Экзамен … не зарегистрирован');
  });

  it('says a code it does not know in Russian, with the code', () => {
    expect(say({ code: 'some-new-refusal', params: { x: 1 } })).toBe(
      'Сервер сообщил о неизвестной ситуации (код some-new-refusal)',
    );
  });
});

describe('a field’s allowed symbols', () => {
  it('names digits and each script of letters in words, other symbols as they are', () => {
    expect(alphabetText('0123456789')).toBe('цифры');
    expect(alphabetText('0123456789АБВЁЯABCZ,-')).toBe('цифры, русские и латинские буквы, «,», «-»');
    expect(alphabetText('XYZ')).toBe('латинские буквы');
  });
});

describe('who did something', () => {
  it('names the service’s own jobs in words and users by their login', () => {
    expect(actorName('retention-sweeper')).toBe('уничтожение по расписанию');
    expect(actorName('admin-ivan')).toBe('admin-ivan');
  });
});
