// How the CLI fails: one line on stderr that says what was wrong and what to do, and a non-zero exit code.
import { explainFault, WorkbenchError } from '../shared/errors.js';

/** Wrong command-line usage; exit code 2, like most Unix tools. */
export class UsageError extends WorkbenchError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('usage', message);
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return 2;
  return 1;
}

export function oneLineReason(raw: unknown): string {
  const error = explainFault(raw) ?? raw;
  const message = error instanceof Error ? error.message : String(error);
  const known = error instanceof WorkbenchError;
  const line = message.replace(/\s*\n\s*/g, ' ').trim();
  return known ? line : `unexpected error: ${line} (please report this with the command you ran)`;
}
