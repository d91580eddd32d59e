/** A small well-formedness checker (elements, attributes, entity references, prolog) that returns the element tree. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTR = /\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/y;
const ENTITY = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function unescape(text: string, at: number): string {
  if (text.replace(ENTITY, '').includes('&')) throw new Error(`bad entity reference near offset ${at}`);
  return text.replace(ENTITY, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e] ?? String.fromCodePoint(Number(e.startsWith('#x') ? `0x${e.slice(2)}` : e.slice(1))));
}

export function parseXml(xml: string): XmlElement {
  let pos = 0;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at offset ${pos}: ${JSON.stringify(xml.slice(pos, pos + 40))}`);
  };
  if (xml.startsWith('<?xml')) pos = xml.indexOf('?>') + 2;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    const text = xml.slice(pos, lt < 0 ? xml.length : lt);
    if (text.trim() !== '' && stack.length === 0) fail('text outside the root element');
    unescape(text, pos);
    if (lt < 0) break;
    pos = lt + 1;
    if (xml[pos] === '/') {
      pos += 1;
      NAME.lastIndex = pos;
      const name = NAME.exec(xml)?.[0] ?? fail('bad end tag');
      pos += name.length;
      if (xml[pos] !== '>') fail('end tag not closed');
      pos += 1;
      if (stack.pop()?.name !== name) fail(`end tag </${name}> does not match`);
      continue;
    }
    NAME.lastIndex = pos;
    const name = NAME.exec(xml)?.[0] ?? fail('bad element name');
    pos += name.length;
    const el: XmlElement = { name, attrs: {}, children: [] };
    for (;;) {
      ATTR.lastIndex = pos;
      const m = ATTR.exec(xml);
      if (!m) break;
      if (m[1]! in el.attrs) fail(`duplicate attribute ${m[1]}`);
      el.attrs[m[1]!] = unescape(m[3] ?? m[4] ?? '', pos);
      pos += m[0].length;
    }
    while (/\s/.test(xml[pos] ?? '')) pos += 1;
    const selfClosing = xml.startsWith('/>', pos);
    if (!selfClosing && xml[pos] !== '>') fail('start tag not closed');
    pos += selfClosing ? 2 : 1;
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else if (root) fail('second root element');
    else root = el;
    if (!selfClosing) stack.push(el);
  }
  if (stack.length > 0 || !root) fail('unclosed elements');
  return root!;
}

/** Every element of the tree named `name`, depth first. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => findAll(c, name))];
}
