/**
 * The reporter extension point: a pure function from the result to text. The CLI decides where
 * the text goes (stdout or a file), so every reporter can be tested without a file system.
 */
import type { AuditResult } from '../result/result.js';

export interface RenderContext {
  color: boolean;
  /** Where the file reports were written, for the terminal to point at. */
  reportDir: string | undefined;
  exitCode: number;
}

export interface Reporter {
  meta: {
    id: string;
    description: string;
    /** File name inside the report folder, or 'stdout'. */
    destination: string;
  };
  render(result: AuditResult, ctx: RenderContext): string;
}
