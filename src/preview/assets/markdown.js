// A small Markdown subset for card details (https://cds-hooks.hl7.org/2.0/#card-attributes: detail is
// GitHub-Flavored Markdown), rendered to DOM nodes with textContent only: raw HTML in the text is shown
// as text, never parsed, and only http(s) links become anchors.
// Blocks: paragraphs, "-"/"*"/"+" and "1." lists, "> " quotes, "#" headings (shown as bold lines).
// Inline: **bold**, *em* / _em_, `code`, [text](url), backslash escapes, hard breaks ("  " or "\" at line end).

// Any ASCII punctuation may be escaped (CommonMark 0.31 §2.4): the service escapes `&`, `@`, `:` and `/` too.
const ESCAPABLE = /[!-/:-@[-`{-~]/;

function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

function safeHref(url) {
  return /^https?:\/\/[^\s]+$/i.test(url) ? url : null;
}

function renderInline(text, parent) {
  let buf = '';
  const flush = () => {
    if (buf) parent.append(document.createTextNode(buf));
    buf = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '\\' && next !== undefined && ESCAPABLE.test(next)) {
      buf += next;
      i += 2;
      continue;
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i) {
        flush();
        const code = el('code');
        code.textContent = text.slice(i + 1, end);
        parent.append(code);
        i = end + 1;
        continue;
      }
    }
    if ((c === '*' || c === '_') && next === c) {
      const end = text.indexOf(c + c, i + 2);
      if (end > i + 2) {
        flush();
        const strong = el('strong');
        renderInline(text.slice(i + 2, end), strong);
        parent.append(strong);
        i = end + 2;
        continue;
      }
    }
    if ((c === '*' || c === '_') && next !== undefined && next !== ' ' && next !== c) {
      const before = i > 0 ? text[i - 1] : ' ';
      const end = text.indexOf(c, i + 1);
      if (end > i + 1 && (c === '*' || !/[\p{L}\p{N}]/u.test(before))) {
        flush();
        const em = el('em');
        renderInline(text.slice(i + 1, end), em);
        parent.append(em);
        i = end + 1;
        continue;
      }
    }
    if (c === '[') {
      const m = /^\[([^\]]*)\]\(([^()\s]+)(?:\s+"[^"]*")?\)/.exec(text.slice(i));
      if (m) {
        flush();
        const href = safeHref(m[2]);
        const target = href ? el('a') : el('span');
        if (href) {
          target.setAttribute('href', href);
          target.setAttribute('rel', 'noopener noreferrer');
        }
        renderInline(m[1], target);
        parent.append(target);
        i += m[0].length;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
}

function renderParagraphLines(lines, parent) {
  lines.forEach((line, n) => {
    const hard = / {2,}$/.test(line) || /\\$/.test(line);
    const text = line.replace(/ {2,}$/, '').replace(/\\$/, '').trim();
    renderInline(text, parent);
    if (n < lines.length - 1) parent.append(hard ? el('br') : document.createTextNode(' '));
  });
}

const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const ORDERED = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;

/** Renders `markdown` into a new DocumentFragment. */
export function renderMarkdown(markdown) {
  const fragment = document.createDocumentFragment();
  const lines = String(markdown ?? '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const p = el('p', 'md-heading');
      const strong = el('strong');
      renderInline(heading[1], strong);
      p.append(strong);
      fragment.append(p);
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && QUOTE.test(lines[i])) inner.push(QUOTE.exec(lines[i++])[1]);
      const quote = el('blockquote');
      quote.append(renderMarkdown(inner.join('\n')));
      fragment.append(quote);
      continue;
    }
    if (BULLET.test(line) || ORDERED.test(line)) {
      const ordered = !BULLET.test(line);
      const pattern = ordered ? ORDERED : BULLET;
      const list = el(ordered ? 'ol' : 'ul');
      while (i < lines.length && pattern.test(lines[i])) {
        const itemLines = [pattern.exec(lines[i])[1]];
        i++;
        // continuation lines: indented, not a new item or block
        while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !BULLET.test(lines[i]) && !ORDERED.test(lines[i])) itemLines.push(lines[i++]);
        const li = el('li');
        renderParagraphLines(itemLines, li);
        list.append(li);
      }
      fragment.append(list);
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() !== '' && !HEADING.test(lines[i]) && !QUOTE.test(lines[i]) && !BULLET.test(lines[i]) && !ORDERED.test(lines[i])) {
      para.push(lines[i]);
      i++;
    }
    const p = el('p');
    renderParagraphLines(para, p);
    fragment.append(p);
  }
  return fragment;
}
