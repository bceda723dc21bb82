/**
 * A small strict XML reader for the regional information system's exports: elements, attributes, text, CDATA,
 * comments, processing instructions, the five named entities and character references. A DOCTYPE is refused
 * outright, so no entity of the file's own can expand (no external entities, no "billion laughs").
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), children's text left out. */
  text: string;
  /** 1-based line of the element's start tag. */
  line: number;
}

export class XmlError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:][\w.:-]*/y;

/** The encoding an XML declaration names (lower case), or null without one. */
export function declaredEncoding(text: string): string | null {
  const m = /^\uFEFF?<\?xml\s[^?]*encoding\s*=\s*["']([^"']+)["']/.exec(text);
  return m ? m[1]!.toLowerCase() : null;
}

/** The document's root element; throws XmlError with the line of the first problem. */
export function parseXml(text: string): XmlElement {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const fail = (message: string): never => {
    throw new XmlError(line, message);
  };
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (text.charCodeAt(k) === 10) line++;
    i = to;
  };
  const until = (end: string, what: string): string => {
    const at = text.indexOf(end, i);
    if (at < 0) fail(`unterminated ${what}`);
    const body = text.slice(i, at);
    advance(at + end.length);
    return body;
  };
  const unescaped = (s: string): string =>
    s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);|&/g, (whole, ref: string | undefined) => {
      if (ref === undefined) return fail('a bare & (write &amp;)');
      if (ref.startsWith('#')) {
        const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
        if (code > 0x10ffff) fail(`bad character reference ${whole}`);
        return String.fromCodePoint(code);
      }
      return NAMED[ref] ?? fail(`unknown entity ${whole}`);
    });
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (!m) return fail('expected a name');
    advance(NAME.lastIndex);
    return m[0];
  };
  const spaces = () => {
    let k = i;
    while (k < text.length && /\s/.test(text[k]!)) k++;
    advance(k);
  };
  /** Skips what may stand between elements: whitespace, comments, processing instructions. */
  const misc = () => {
    for (;;) {
      spaces();
      if (text.startsWith('<!--', i)) {
        advance(i + 4);
        until('-->', 'comment');
      } else if (text.startsWith('<?', i)) {
        advance(i + 2);
        until('?>', 'processing instruction');
      } else if (text.startsWith('<!DOCTYPE', i)) fail('a DOCTYPE is not accepted');
      else return;
    }
  };
  const element = (): XmlElement => {
    const start = line;
    advance(i + 1);
    const el: XmlElement = { name: name(), attributes: {}, children: [], text: '', line: start };
    for (;;) {
      spaces();
      if (text.startsWith('/>', i)) {
        advance(i + 2);
        return el;
      }
      if (text[i] === '>') break;
      const attr = name();
      spaces();
      if (text[i] !== '=') fail(`attribute ${attr} without a value`);
      advance(i + 1);
      spaces();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr}: value not quoted`);
      advance(i + 1);
      const raw = until(quote!, `attribute ${attr}`);
      if (raw.includes('<')) fail(`attribute ${attr}: < in a value`);
      if (attr in el.attributes) fail(`attribute ${attr} given twice`);
      el.attributes[attr] = unescaped(raw);
    }
    advance(i + 1);
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) fail(`element ${el.name} not closed`);
      el.text += unescaped(text.slice(i, lt));
      advance(lt);
      if (text.startsWith('</', i)) {
        advance(i + 2);
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}> (line ${start})`);
        spaces();
        if (text[i] !== '>') fail(`</${closing}: expected >`);
        advance(i + 1);
        return el;
      }
      if (text.startsWith('<![CDATA[', i)) {
        advance(i + 9);
        el.text += until(']]>', 'CDATA section');
      } else if (text.startsWith('<!--', i) || text.startsWith('<?', i)) misc();
      else if (text.startsWith('<!', i)) fail('a declaration inside an element');
      else el.children.push(element());
    }
  };
  misc();
  if (text[i] !== '<') fail('no root element');
  const root = element();
  misc();
  if (i < text.length) fail('content after the root element');
  return root;
}

/** Every element named `name` in document order, the root included. */
export function elementsNamed(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (el: XmlElement) => {
    if (el.name === name) found.push(el);
    else for (const c of el.children) walk(c);
  };
  walk(root);
  return found;
}

/** The first descendant along a path of child names (`Document/Number`); the element itself for ''. */
export function childAt(el: XmlElement, path: string): XmlElement | undefined {
  let at: XmlElement | undefined = el;
  for (const step of path.split('/').filter((s) => s !== '')) at = at?.children.find((c) => c.name === step);
  return at;
}
