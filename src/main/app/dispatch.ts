// Every call from a renderer, whatever the transport, comes through here: the channel must exist, the input must
// match its schema (else a clear error naming the field), and errors leave as { code, message }.
import { z } from 'zod';
import { API, isChannel, type ApiError, type ApiResults, type Channel, type ParsedInput } from '../../shared/api.js';
import { explainFault, InputError, WorkbenchError } from '../../shared/errors.js';

export type Handlers = { [C in Channel]: (input: ParsedInput<C>) => Promise<ApiResults[C]> };

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: ApiError };

export function validateInput<C extends Channel>(channel: C, raw: unknown): ParsedInput<C> {
  const parsed = API[channel].safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`).join('; ');
    throw new InputError('invalid-input', `${channel} was called with invalid input (${issues})`);
  }
  return parsed.data as ParsedInput<C>;
}

export async function dispatch(handlers: Handlers, channel: unknown, raw: unknown): Promise<DispatchResult> {
  try {
    if (!isChannel(channel)) throw new InputError('unknown-channel', `there is no call named ${JSON.stringify(channel)}`);
    const input = validateInput(channel, raw);
    const handler = handlers[channel] as (input: unknown) => Promise<unknown>;
    return { ok: true, result: await handler(input) };
  } catch (error) {
    return { ok: false, error: toApiError(error) };
  }
}

export function toApiError(raw: unknown): ApiError {
  const error = explainFault(raw) ?? raw;
  if (error instanceof WorkbenchError) return { code: error.code, message: error.message };
  if (error instanceof z.ZodError) return { code: 'invalid-input', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `unexpected error: ${message}` };
}
