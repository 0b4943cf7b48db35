// Parsing and drawing shared by the model commands (train, eval, predict, models).
import { SPLITS, splitSchema, type Split } from '../shared/domain.js';
import { PRESETS, presetSchema, type ModelSize, type PresetName, type TrainingProgressEvent } from '../shared/models.js';
import { UsageError } from './errors.js';
import { formatDuration } from './format.js';

export function parseVersion(value: string | boolean | undefined, option = '--model'): number | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? /^v?(\d+)$/i.exec(value.trim()) : null;
  if (!match || Number(match[1]) < 1) throw new UsageError(`${option} takes a model version such as v3 or 3 (see dwb models --project <dir>), not "${String(value)}"`);
  return Number(match[1]);
}

export function parseSize(value: string | boolean | undefined): ModelSize | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? /^(\d+)(?:[x×](\d+))?$/i.exec(value.trim()) : null;
  if (!match) throw new UsageError(`--size takes HxW in pixels, e.g. 256x256 or 256x640 for long parts (multiples of 32), not "${String(value)}"`);
  const height = Number(match[1]);
  const width = Number(match[2] ?? match[1]);
  return { height, width };
}

export function parsePositiveInt(value: string | boolean | undefined, option: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${option} takes a whole number ≥ ${min}, not "${String(value)}"`);
  return n;
}

export function parsePreset(value: string | boolean | undefined): PresetName | undefined {
  if (value === undefined) return undefined;
  const parsed = presetSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`unknown preset "${String(value)}"; use ${PRESETS.join(' or ')}`);
  return parsed.data;
}

export function parseSplit(value: string | boolean | undefined, fallback: Split): Split {
  if (value === undefined) return fallback;
  const parsed = splitSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`unknown split "${String(value)}"; use one of ${SPLITS.join(', ')}`);
  return parsed.data;
}

export function requireProject(values: Record<string, string | boolean | undefined>, command: string): string {
  if (typeof values.project !== 'string') throw new UsageError(`dwb ${command} needs --project <dir> (create one with dwb init <dir>)`);
  return values.project;
}

/** One line of live training progress. */
export function progressLine(p: TrainingProgressEvent): string {
  if (p.phase === 'evaluating') return `evaluating ${p.split ?? ''}: ${p.step}/${p.steps} images`;
  if (p.phase === 'features') return `backbone features: ${p.step}/${p.steps} images${p.imagesPerSecond ? `, ${p.imagesPerSecond.toFixed(1)} images/s` : ''} on ${p.provider}`;
  if (p.phase === 'fitting') return 'fitting to the normal images';
  const losses = Object.entries(p.losses);
  const total = p.losses.total;
  const terms = losses.filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${v.toFixed(3)}`);
  const loss = total === undefined ? '' : ` · loss ${total.toFixed(4)}${terms.length ? ` (${terms.join(', ')})` : ''}`;
  const rate = p.imagesPerSecond ? ` · ${p.imagesPerSecond.toFixed(1)} images/s` : '';
  const eta = p.etaSeconds === null ? '' : ` · ${formatDuration(p.etaSeconds)} left`;
  const validation = p.validation ? ` · validation ${Object.entries(p.validation).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}` : '';
  return `${p.phase} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps}${loss}${rate}${eta} · ${p.provider}${validation}`;
}

/** Fractions as percentages with one decimal, '—' where a metric cannot be computed. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : (value * 100).toFixed(1);
}
