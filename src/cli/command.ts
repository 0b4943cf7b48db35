// The shape of one CLI command: its help and options, and a run function over parsed values.
import type { ParseArgsConfig } from 'node:util';

export interface CommandContext {
  /** Writes to stdout; with --json, the command's one JSON object and nothing else goes here. */
  out: (text: string) => void;
  /** Human-facing progress and notes; stderr, so stdout stays machine-readable. */
  err: (text: string) => void;
  /** True when stderr is a terminal (live progress lines are drawn only then). */
  interactive: boolean;
  signal: AbortSignal;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  examples: string[];
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals: number;
  run(values: Record<string, string | boolean | undefined>, positionals: string[], ctx: CommandContext): Promise<void>;
}

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}
