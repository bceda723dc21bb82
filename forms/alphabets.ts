/** Symbol sets that form fields allow. '-' is the canonical minus; '–' on the printed sample is read as '-'. */
const digits = '0123456789';
const cyrillic = 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ';
const latin = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export const ALPHABETS = {
  digits,
  cyrillic,
  latin,
  /** EGE AS1 short answers: the printed sample rows 1-3 without the accented Latin letters. */
  answer: `${digits}${cyrillic}${latin},-`,
  /** Surnames and names: Cyrillic letters and the hyphen of double names. */
  name: `${cyrillic}-`,
} as const;
