/**
 * The interactive terminal during a run, shared by the reporters that draw on it live: the
 * progress line (stderr, redrawn in place) and the finding blocks the terminal reporter prints
 * as they are found (stdout). Both go through one object, so a block never lands inside the
 * progress line: the line is taken off, the block printed, the line drawn again below it.
 *
 * A progress library that owns the cursor (saving and restoring its position, switching line
 * wrap off) cannot share the screen with text printed above it, so the one line is drawn here:
 * carriage return, the text cut to the width, erase to the end of the line.
 */
import { cut } from './terminal-text.js';
import type { ReportOutput } from './types.js';

export interface LiveTerminal {
  /** Columns of the terminal (80 at least). */
  readonly columns: number;
  /** Prints whole lines on stdout, above the status line. */
  print(text: string): void;
  /** Shows `line` as the status line (cut to the width), or takes it off the screen when undefined. */
  status(line: string | undefined): void;
}

const ERASE_LINE = '\r\u001b[2K';
const ERASE_RIGHT = '\u001b[K';

/** The interactive terminal behind `out`; undefined when output is not an interactive terminal. */
export function liveTerminal(out: ReportOutput): LiveTerminal | undefined {
  const tty = out.terminal;
  if (!tty) return undefined;
  let shown: string | undefined;
  const columns = (): number => Math.max(80, tty.columns || 80);
  const draw = (): void => {
    // One column spare: a line that fills the last column makes some terminals wrap early.
    if (shown !== undefined) tty.write(`\r${cut(shown, columns() - 1)}${ERASE_RIGHT}`);
  };
  return {
    get columns() {
      return columns();
    },
    print(text) {
      if (shown !== undefined) tty.write(ERASE_LINE);
      out.stdout(text);
      draw();
    },
    status(line) {
      if (line === undefined) {
        if (shown !== undefined) tty.write(ERASE_LINE);
        shown = undefined;
        return;
      }
      shown = line;
      draw();
    },
  };
}
