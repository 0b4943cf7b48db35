// Commands are data: an id, a label, the keys that run it, the context it applies in, and what it does. One
// keyboard dispatcher runs them; the shortcut help is generated from the same list.
export type CommandContext = 'grid' | 'viewer';

export interface Command<T> {
  id: string;
  label: string;
  keys: readonly string[];
  /** Contexts the command is active in. */
  when: readonly CommandContext[];
  run(target: T): void;
}

/** The normalized name of a key press: "a", "ArrowRight", "Shift+A"… */
export function keyName(event: Pick<KeyboardEvent, 'key' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey'>): string {
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const mods = [event.ctrlKey && 'Ctrl', event.metaKey && 'Meta', event.altKey && 'Alt', event.shiftKey && event.key.length > 1 && 'Shift'].filter(Boolean);
  return [...mods, key].join('+');
}

/** Pairs of commands that claim the same key in the same context (must be empty). */
export function keyConflicts<T>(commands: readonly Command<T>[]): string[] {
  const seen = new Map<string, string>();
  const conflicts: string[] = [];
  for (const command of commands) {
    for (const context of command.when) {
      for (const key of command.keys) {
        const slot = `${context}:${key}`;
        const other = seen.get(slot);
        if (other) conflicts.push(`${key} in ${context}: ${other} and ${command.id}`);
        else seen.set(slot, command.id);
      }
    }
  }
  return conflicts;
}

export function findCommand<T>(commands: readonly Command<T>[], context: CommandContext, key: string): Command<T> | undefined {
  return commands.find((c) => c.when.includes(context) && c.keys.includes(key));
}
