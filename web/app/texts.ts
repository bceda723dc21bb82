/**
 * What the server says, in Russian: the server answers with codes and parameters (platform/errors.ts for
 * refusals and errors, contract/messages.ts for what a successful answer has to say); every station shows
 * them through `say`. A code the catalogue does not know yet is shown as a generic Russian message with
 * the code, never as the server's English text.
 */
import type { MessageCode, MessageParams } from '../../contract/messages.ts';

/** Sheet kinds (a form definition's `kind`), as the operator calls them. */
export const KIND_NAMES: Record<string, string> = {
  registration: 'бланк регистрации',
  'answer-sheet-1': 'бланк ответов № 1',
  'answer-sheet-2': 'бланк ответов № 2',
  'additional-answer-sheet-2': 'доп. бланк ответов № 2',
  protocol: 'бланк-протокол',
  'bubble-sheet': 'бланк с метками',
  unidentified: 'не опознан',
};

/** The exam's kind (contract/admin.ts, Exam) as it is written in Russian. */
export const EXAM_KINDS: Record<string, string> = { EGE: 'ЕГЭ', OGE: 'ОГЭ', GVE: 'ГВЭ' };

/** A sheet's place in a participant's kit (works/kits), in the operator's words. */
const KIT_ROLE_NAMES: Record<string, string> = {
  registration: 'бланк регистрации',
  as1: 'бланк ответов № 1',
  'as2-1': 'бланк ответов № 2 (лист 1)',
  'as2-2': 'бланк ответов № 2 (лист 2)',
};

/** Parameters that are themselves codes, said in Russian. */
const PARAM_NAMES: Record<string, Record<string, string>> = { kind: KIND_NAMES, role: KIT_ROLE_NAMES };

/** The service's own jobs where a user would stand (an act's or an audit event's actor). */
const SYSTEM_ACTORS: Record<string, string> = {
  'retention-sweeper': 'уничтожение по расписанию',
  'protocol-stage': 'приём бланков-протоколов',
};

/** Who did something: a user by their login, the service's own jobs in words. */
export const actorName = (id: string): string => SYSTEM_ACTORS[id] ?? id;

/** Refusals and errors: every code of platform/errors.ts (a test holds the two together). */
const ERRORS: Record<string, string> = {
  'no-such-task': 'Такого задания верификации нет',
  'no-such-check': 'Такой проверки нет',
  'no-such-sheet': 'Такого бланка нет',
  'no-such-appeal': 'Такой апелляции нет',
  'no-such-work': 'Такой работы нет',
  'not-yours': 'Это задание выдано не вам',
  'not-allowed': 'Это действие сейчас недопустимо',
  'bad-value': 'Недопустимое значение',
  'bad-scores': 'Баллы не приняты: проверьте их по критериям',
  'not-printable': 'Это нельзя напечатать',
  'not-this-sheet': 'Этот скан не относится к бланку',
  'unknown-exam': 'Экзамен {exam} не зарегистрирован',
  'exam-grade': 'Для ГВЭ укажите класс (9 или 11), для ЕГЭ и ОГЭ класс не указывается',
  'refused-batch': 'Пакет не принят: недопустимое имя файла {file}',
  'no-rules': 'Для этого экзамена нет правил проверки',
  conflict: 'Уже сделано или противоречит сделанному',
  'no-such-page': 'Такой страницы нет',
  'no-such-protocol': 'Такого бланка-протокола нет',
  'no-such-user': 'Такого пользователя нет',
  'no-such-exam': 'Такого экзамена нет',
  'no-such-layout': 'Формата выгрузки {layout} нет для года экзамена',
  unencodable: 'Строку {row} нельзя выгрузить в кодировке {encoding}: знак в поле {field}',
  'no-such-rules': 'Таких правил проверки нет',
  'no-such-batch': 'Такого пакета нет',
  'no-such-image': 'Изображения нет',
  'no-such-hold': 'Такого запрета на уничтожение нет',
  'no-such-act': 'Такого акта нет',
  'no-such-object': 'Такого объекта нет',
  'bad-request': 'Запрос заполнен неверно',
  'training-set-too-late':
    'Учебный набор выбирают до {at}: с этого момента оригиналы бланков ответов № 2 могут быть уничтожены',
  'training-set-too-few': 'Запрошено работ: {asked}, а с завершённой проверкой только {eligible}',
  'training-page-unfit': 'В учебный набор входят только сохранившиеся бланки ответов № 2 этого экзамена',
  'too-large': 'Слишком большой файл или запрос',
  'wrong-media-type': 'Неподдерживаемый тип файла',
  'not-signed-in': 'Войдите с ключом доступа',
  'role-not-allowed': 'Вашей роли это недоступно',
  'not-found': 'Не найдено',
  unavailable: 'Сервис временно недоступен: повторите через минуту',
  internal: 'Внутренняя ошибка сервиса',
  // Not the server's: the browser could not reach it.
  network: 'Нет связи с сервером',
};

/** What successful answers have to say: every code of contract/messages.ts. */
const MESSAGES: Record<MessageCode, string> = {
  'batch-pages-differ': 'получено страниц: {received}, заявлено: {declared}',
  'batch-pages-unidentified': 'страниц отклонено или не опознано: {pages}',
  'batch-kind-differs': '{kind}: распознано {recognised}, заявлено {declared}',
  'batch-sheet-rescanned': 'сканов бланка {sheet}: {scans}',
  'work-sheet-not-received': '{role} {sheet} не получен',
  'work-sheet-other-form': '{role} {sheet} распознан как форма {form}',
  'work-sheet-not-verified': '{role} {sheet} ещё не верифицирован',
  'work-link-not-verified': 'ссылка на доп. бланк на бланке {sheet} ещё не верифицирована',
  'work-chain-loops': 'цепочка доп. бланков замыкается на бланке {sheet}',
  'work-additional-not-received': 'доп. бланк {sheet} (указан на бланке {from}) не получен',
  'work-additional-not-verified': 'доп. бланк {sheet} ещё не верифицирован',
  'kits-bad-header': 'строка 1: заголовок должен быть {expected}, а в файле {got}',
  'kits-bad-columns': 'строка {line}: столбцов {columns}, нужно {need}',
  'kits-bad-sheet-number': 'строка {line}: неверный номер бланка: {sheets}',
  'already-scored': 'баллы по проверке № {check} уже выставлены',
  'may-not-take': 'эксперту {expert} эту проверку выдать нельзя',
};

/** Every code the catalogue has a text for (for the test that every server code has one). */
export const KNOWN_CODES: readonly string[] = [...Object.keys(ERRORS), ...Object.keys(MESSAGES)];

const TEXTS: Record<string, string> = { ...ERRORS, ...MESSAGES };

/** A text that starts a sentence, put after a colon inside another. */
/** A share as a percentage with `digits` decimals; '—' where there is none yet. */
export const percent = (x: number | null, digits = 1): string =>
  x === null ? '—' : `${(x * 100).toFixed(digits)}%`;

export const inSentence = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);

/** The Russian text of a code with its parameters filled in. */
export function say(m: { code: string; params?: MessageParams }): string {
  const text = TEXTS[m.code];
  if (text === undefined) return `Сервер сообщил о неизвестной ситуации (код ${m.code})`;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = m.params?.[name];
    if (value === undefined) return '…';
    return PARAM_NAMES[name]?.[String(value)] ?? String(value);
  });
}

/** An appeal's step (calibration/deadlines/YEAR/rules.json) as the chair calls it. */
const APPEAL_STEPS: Record<string, string> = {
  'ris-entry': 'апелляция внесена в РИС',
  'protocols-to-rcoi': 'протоколы конфликтной комиссии получены РЦОИ',
  'decision-entry': 'решение (удовлетворена или отклонена) внесено в РИС',
  'outcome-entry': 'результаты рассмотрения внесены в РИС',
  recalculation: 'результат удовлетворённой апелляции пересчитан',
  'results-to-gek': 'пересчитанный результат передан в ГЭК',
};
export const appealStepName = (step: string): string => APPEAL_STEPS[step] ?? `шаг «${step}»`;

/** Who does an appeal's step. */
const STEP_ACTORS: Record<string, string> = {
  rcoi: 'РЦОИ',
  'conflict-commission': 'конфликтная комиссия',
  'federal-centre': 'ФЦТ',
};
export const stepActor = (by: string | null): string => (by === null ? '—' : (STEP_ACTORS[by] ?? by));

export const STEP_STATES: Record<string, string> = {
  waiting: 'ждёт предыдущего шага',
  open: 'в работе',
  overdue: 'просрочен',
  done: 'выполнен',
  late: 'выполнен с опозданием',
  'not-applicable': 'не требуется',
};

/** The regulation's line a step keeps ("road map L408", "order L129-130, L131") in Russian. */
export const ruleText = (rule: string): string =>
  rule
    .replace(/^road map\b/, 'дорожная карта,')
    .replace(/^order\b/, 'приказ,')
    .replace(/\bL(\d)/g, 'стр. $1');

/** Why a result is not complete yet (contract/results.ts, WorkResult). */
export const RESULT_REASONS: Record<string, string> = {
  'work-incomplete': 'работа собрана не полностью',
  'no-variant': 'не указан вариант',
  'unknown-variant': 'нет ключа для варианта',
  'as1-missing': 'нет бланка ответов № 1',
  'as1-not-final': 'бланк ответов № 1 ещё верифицируется',
  'checks-pending': 'проверка экспертами не завершена',
  'appeal-pending': 'идёт рассмотрение апелляции',
};

/** A row-level error of an import from the regional system (domain/ris.ts), with its parameters. */
const RIS_ERRORS: Record<string, string> = {
  'unmatched-file': 'файл не подходит ни под один файл сопоставления',
  'ambiguous-file': 'файл подходит под несколько файлов сопоставления: {sources}',
  'bad-encoding': 'файл не в кодировке {encoding}',
  'bad-xml': 'файл не читается как XML',
  'missing-column': 'нет столбца',
  'wrong-cell-count': 'ячеек {found}, нужно {expected}',
  required: 'не заполнено обязательное поле',
  'bad-format': 'неверный формат значения «{value}»',
  'bad-date': 'неверная дата «{value}», нужна в виде {layout}',
  'unknown-code': 'значения «{value}» нет в таблице кодов',
  duplicate: 'повтор «{value}»: уже в файле {firstFile}, строка {firstRow}',
  'unknown-exam': 'экзамен «{value}» не зарегистрирован',
  'unknown-ppe': 'ППЭ «{value}» нет ни в выгрузке, ни в базе',
  'unknown-participant': 'участника «{value}» нет на экзамене {exam}',
  'sheet-in-other-kit': 'бланк {value} уже в комплекте {kit}',
};
export function risErrorText(e: { code: string; params: MessageParams }): string {
  const text = RIS_ERRORS[e.code];
  if (text === undefined) return `ошибка с кодом ${e.code}`;
  // A personal field's value is never sent: the text reads without it.
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(e.params[name] ?? '…')).replace(' «…»', '');
}

/**
 * A field's allowed symbols as the verifier reads them: digits and letters by their script in words (the
 * scripts matter: Cyrillic А and Latin A look alike), any other symbol as it is.
 */
export function alphabetText(allowed: string): string {
  const chars = [...allowed];
  const has = (re: RegExp) => chars.some((c) => re.test(c));
  const letters = [has(/[А-ЯЁа-яё]/) && 'русские', has(/[A-Za-z]/) && 'латинские'].filter(Boolean);
  const parts = [
    has(/[0-9]/) && 'цифры',
    letters.length > 0 && `${letters.join(' и ')} буквы`,
    ...chars.filter((c) => !/[0-9A-Za-zА-ЯЁа-яё]/.test(c)).map((c) => `«${c}»`),
  ];
  return parts.filter(Boolean).join(', ');
}
