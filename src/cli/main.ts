// dwb: the workbench's command line, over the same services the app uses.
import { parseArgs } from 'node:util';
import type { Command, CommandContext } from './command.js';
import { COMMANDS } from './commands/index.js';
import { exitCodeFor, oneLineReason, UsageError } from './errors.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'dwb — Defect Workbench command line',
    '',
    'usage: dwb <command> [options]   (dwb <command> --help for one command)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [`usage: ${command.usage}`, '', command.summary, '', 'examples:', ...command.examples.map((e) => `  ${e}`), ''].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling… (press Ctrl-C again to stop at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const ctx: CommandContext = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive: Boolean(process.stderr.isTTY),
    signal: controller.signal,
  };
  const [name, ...rest] = argv;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      ctx.out(help());
      return name ? 0 : 2;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command "${name}"; run dwb --help to see the commands`);
    if (rest.includes('--help') || rest.includes('-h')) {
      ctx.out(commandHelp(command));
      return 0;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(`${(error as Error).message.replace(/\.$/, '')}; usage: ${command.usage}`);
    }
    if (parsed.positionals.length > command.allowPositionals) {
      throw new UsageError(`unexpected argument "${parsed.positionals[command.allowPositionals]}"; usage: ${command.usage}`);
    }
    await command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals, ctx);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    ctx.err(`dwb ${name ?? ''}: ${oneLineReason(error)}\n`.replace('dwb : ', 'dwb: '));
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
