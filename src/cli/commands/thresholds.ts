import { LineThresholdStore, type LineThresholds } from '../../main/deploy/lineThresholdStore.js';
import { DEFAULT_TARGETS, deriveLineThresholds } from '../../main/deploy/thresholdsService.js';
import { printJson, type CommandContext, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { parseVersion, requireProject } from '../modelArgs.js';
import { openProject } from '../openProject.js';

function parseRate(value: string | boolean | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const text = String(value).trim();
  const n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new UsageError(`${option} takes a rate such as 0.01 or 1%, below 100%, not "${text}"`);
  return n;
}

function parseValue(value: string | boolean | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${option} takes a number in [0, 1], not "${String(value)}"`);
  return n;
}

const pct = (r: { rate: number; low: number; high: number; count: number; of: number }) =>
  `${(100 * r.rate).toFixed(1)}% [${(100 * r.low).toFixed(1)}–${(100 * r.high).toFixed(1)}%] (${r.count}/${r.of})`;

function describe(ctx: CommandContext, t: LineThresholds): void {
  const d = t.derivation.image;
  ctx.out(`model v${t.versionId}: pass below ${t.review.toPrecision(6)}, reject from ${t.reject.toPrecision(6)}, review in between; pixel threshold ${t.pixel.toPrecision(6)}${t.editedAt ? ` (edited ${t.editedAt})` : ''}\n`);
  ctx.out(`  targets: miss ≤ ${(100 * t.targets.maxMissRate).toFixed(1)}%, false reject ≤ ${(100 * t.targets.maxFalseRejectRate).toFixed(1)}%; derived from ${d.goodImages} good and ${d.badImages} defective validation images (${t.basis})\n`);
  ctx.out(`  good parts expected: pass ${pct(d.good.pass)}, review ${pct(d.good.review)}, reject ${pct(d.good.reject)}\n`);
  if (d.bad) ctx.out(`  defective parts expected: pass (missed) ${pct(d.bad.pass)}, review ${pct(d.bad.review)}, reject ${pct(d.bad.reject)}\n`);
  for (const note of [...d.notes, t.derivation.pixel.note]) ctx.out(`  note: ${note}\n`);
}

export const thresholdsCommand: Command = {
  name: 'thresholds',
  summary: 'derive a model version’s pass/review/reject and pixel thresholds from the line’s targets, show or edit them',
  usage: 'dwb thresholds --project <dir> [--model <version>] [--miss 1%] [--false-reject 2%] | --show | --set-review X --set-reject Y --set-pixel Z  [--json]',
  examples: [
    'dwb thresholds --project ~/inspection/tiles --miss 1% --false-reject 2%',
    'dwb thresholds --project ~/inspection/tiles --show',
    'dwb thresholds --project ~/inspection/tiles --set-reject 0.8',
  ],
  options: {
    project: { type: 'string' },
    model: { type: 'string' },
    miss: { type: 'string' },
    'false-reject': { type: 'string' },
    show: { type: 'boolean' },
    'set-review': { type: 'string' },
    'set-reject': { type: 'string' },
    'set-pixel': { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: 0,
  async run(values, _positionals, ctx) {
    const root = requireProject(values, 'thresholds');
    const requested = parseVersion(values.model);
    const edits = { review: parseValue(values['set-review'], '--set-review'), reject: parseValue(values['set-reject'], '--set-reject'), pixel: parseValue(values['set-pixel'], '--set-pixel') };
    const editing = Object.values(edits).some((v) => v !== undefined);
    const project = await openProject(root, ctx);
    try {
      const versionId = project.models.resolve(requested).id;
      const store = new LineThresholdStore(project.db);
      let result: LineThresholds | undefined;
      if (editing) {
        result = store.edit(versionId, Object.fromEntries(Object.entries(edits).filter(([, v]) => v !== undefined)));
      } else if (values.show) {
        result = store.get(versionId);
        if (!result) throw new UsageError(`model v${versionId} has no thresholds yet; derive them: dwb thresholds --project ${root} --model v${versionId}`);
      } else {
        const targets = {
          maxMissRate: parseRate(values.miss, '--miss', DEFAULT_TARGETS.maxMissRate),
          maxFalseRejectRate: parseRate(values['false-reject'], '--false-reject', DEFAULT_TARGETS.maxFalseRejectRate),
        };
        result = await deriveLineThresholds(project, versionId, targets, { signal: ctx.signal });
      }
      if (values.json) return printJson(ctx, result);
      describe(ctx, result);
    } finally {
      project.close();
    }
  },
};
