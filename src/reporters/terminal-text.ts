/**
 * Text for the terminal, measured in display columns (string-width: a CJK character or an emoji
 * takes two, a combining mark none), so what is fitted to the width really fits.
 */
import stringWidth from 'string-width';

/**
 * Text that may come from the target (messages, notes, curl lines with bodies) must not drive the
 * terminal: an ESC or CSI sequence could recolour, clear or rewrite what the user reads.
 */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
}

/** One line: tabs and line breaks become spaces. */
export function oneLine(text: string): string {
  return plain(text).replace(/[\t\n]+/g, ' ');
}

export const width = (text: string): number => stringWidth(text);

/** `text` cut to `columns` display columns, with an ellipsis when something was cut. */
export function cut(text: string, columns: number): string {
  if (stringWidth(text) <= columns) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = stringWidth(ch);
    if (used + w > columns - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/** `text` padded with spaces to `columns` display columns (never cut). */
export function pad(text: string, columns: number): string {
  return text + ' '.repeat(Math.max(0, columns - stringWidth(text)));
}

/**
 * Word-wraps one line of text to `columns`, continuation lines indented by `indent` spaces; a
 * word wider than a line is broken where it must be.
 */
export function wrap(text: string, columns: number, indent = 0): string[] {
  const lines: string[] = [];
  let line = '';
  const room = (): number => columns - (lines.length === 0 ? 0 : indent);
  const flush = (): void => {
    lines.push(lines.length === 0 ? line : ' '.repeat(indent) + line);
    line = '';
  };
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (stringWidth(candidate) <= room()) {
      line = candidate;
      continue;
    }
    if (line !== '') flush();
    let rest = word;
    while (stringWidth(rest) > room()) {
      let head = '';
      for (const ch of rest) {
        if (stringWidth(head + ch) > room()) break;
        head += ch;
      }
      if (head === '') break;
      line = head;
      flush();
      rest = rest.slice(head.length);
    }
    line = rest;
  }
  if (line !== '' || lines.length === 0) flush();
  return lines;
}

/**
 * A shell command folded to `columns` with backslash-newline continuations, broken only at
 * spaces outside quotes, so the folded text pastes into a shell as the same command. A single
 * word wider than the line stays whole: cutting it would change the command.
 */
export function foldCommand(command: string, columns: number, indent: number): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command.charAt(i);
    if (quote !== undefined) {
      word += ch;
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < command.length) word += command.charAt(++i);
    } else if (ch === ' ') {
      if (word !== '') words.push(word);
      word = '';
    } else {
      word += ch;
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '\\' && i + 1 < command.length) word += command.charAt(++i);
    }
  }
  if (word !== '') words.push(word);
  const single = words.join(' ');
  if (stringWidth(single) <= columns) return [single];
  // An option stays on the line of its value.
  const units: string[] = [];
  for (const w of words) {
    const last = units[units.length - 1];
    if (last !== undefined && /^--?[\w-]+$/.test(last) && !w.startsWith('-')) units[units.length - 1] = `${last} ${w}`;
    else units.push(w);
  }
  const lines: string[] = [];
  let line = '';
  for (const u of units) {
    const prefix = lines.length === 0 ? 0 : indent;
    // Two columns kept for the " \" that continues the line.
    if (line !== '' && prefix + stringWidth(`${line} ${u}`) > columns - 2) {
      lines.push(`${' '.repeat(prefix)}${line} \\`);
      line = u;
    } else line = line === '' ? u : `${line} ${u}`;
  }
  lines.push(`${' '.repeat(lines.length === 0 ? 0 : indent)}${line}`);
  return lines;
}
