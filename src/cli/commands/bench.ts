import path from 'node:path';
import { benchDeploy } from '../../bench/deployBench.js';
import { benchConvWeightGradient, benchSuperSimpleNetStep, benchTrainingStep, fmaPeakProbe, measureFmaPeak, type FmaPeak, type StepBenchResult, type SuperSimpleNetStepSize } from '../../bench/engineBench.js';
import { benchGrid } from '../../bench/gridBench.js';
import { benchRetrain } from '../../bench/retrainBench.js';
import { benchReviewStudy, REVIEW_STUDY_ARMS, reviewStudyTable, type ReviewStudyArm } from '../../bench/reviewStudyBench.js';
import { benchImport } from '../../bench/importBench.js';
import { benchInference } from '../../bench/inferenceBench.js';
import { benchStudio } from '../../bench/studioBench.js';
import { benchTrainer, DEFAULT_BACKBONE, DEFAULT_DATASETS, type TrainerBenchResult } from '../../bench/trainerBench.js';
import { benchTrainingUi } from '../../bench/trainingUiBench.js';
import { PROVIDER_ORDER, type ExecutionProvider } from '../../main/ml/engine/runtime.js';
import { PRESETS, resolveConfig } from '../../main/ml/ssn/presets.js';
import { REVIEW_ORDERS, type ReviewOrder } from '../../shared/review.js';
import { printJson, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { parseSize } from '../modelArgs.js';

const SECTIONS = ['import', 'engine', 'grid', 'studio', 'inference', 'trainer', 'deploy', 'retrain', 'training-ui', 'review-study'] as const;
type Section = (typeof SECTIONS)[number];

/** The size the feasibility study measured (~19 GFLOP a step). */
const FEASIBILITY = { batch: 16, channels: 384, size: 32, head: 256 };
/**
 * SuperSimpleNet's training step as training runs it: the paper preset at full width on a 128² image (stride-4
 * maps of 32×32) with few images, so that it takes seconds on 2 cores (its cost scales linearly with the batch),
 * and the fast preset (the CPU default) at its own batch on 256² images.
 */
const SUPERSIMPLENET = [
  { preset: 'paper', batch: 4, size: 128 },
  { preset: 'fast', batch: PRESETS.fast.batchSize, size: 256 },
] as const;
/** The classification head's 5×5 conv at a real batch: its weight gradient was the step's bottleneck. */
const CLS_CONV = { batch: 32, inChannels: 1537, outChannels: 128, size: 32, kernel: 5 };
const FORMULATIONS = ['gemm', 'conv'] as const;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure import throughput and memory, training-step speed and grid smoothness (figures, not pass/fail)',
  usage: `dwb bench [${SECTIONS.join('|')}] [--images <n>] [--provider ${PROVIDER_ORDER.join('|')}] [--strict] [--fma-isa avx512|avx2|sse|neon|scalar] [--conv-formulations gemm,conv] [--dataset <name>] [--ladder-only | --no-ladder] [--preset fast|paper] [--epochs N] [--backbone <onnx>] [--size HxW] [--per-round K] [--rounds N] [--seed S] [--order uncertain|anomalous] [--arms review,random] [--json]`,
  examples: [
    'npm run bench',
    'npm run bench -- import --images 500 --json',
    'npm run bench -- engine --json',
    'npm run bench -- engine --fma-isa avx2 --conv-formulations gemm,conv',
    'npm run bench -- engine --provider webgpu --strict   # on a GPU: fails naming any node the GPU cannot run',
    'npm run bench -- inference',
    'npm run bench -- inference --size 320x320   # what a project at 320² pays per image',
    'npm run bench -- trainer --json',
    'npm run bench -- trainer --dataset mvtec_bottle --no-ladder',
    'npm run bench -- trainer --preset paper --no-ladder   # on a GPU',
    'npm run bench -- deploy --dataset mvtec_bottle --json',
    'npm run bench -- retrain --dataset mvtec_bottle --epochs 10',
    'npm run bench -- review-study --per-round 20 --rounds 4 --seed 0',
  ],
  options: {
    images: { type: 'string' },
    provider: { type: 'string' },
    strict: { type: 'boolean' },
    'fma-isa': { type: 'string' },
    'conv-formulations': { type: 'string' },
    dataset: { type: 'string' },
    'ladder-only': { type: 'boolean' },
    'no-ladder': { type: 'boolean' },
    preset: { type: 'string' },
    epochs: { type: 'string' },
    backbone: { type: 'string' },
    size: { type: 'string' },
    'per-round': { type: 'string' },
    rounds: { type: 'string' },
    seed: { type: 'string' },
    order: { type: 'string' },
    arms: { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: 1,
  async run(values, [section], ctx) {
    if (section !== undefined && !SECTIONS.includes(section as Section)) {
      throw new UsageError(`unknown benchmark section "${section}"; use one of ${SECTIONS.join(', ')}`);
    }
    const results: Record<string, unknown> = {};
    if (section === undefined || section === 'import') results.import = await importSection(values, ctx);
    if (section === undefined || section === 'engine') results.engine = await engineSection(values, ctx);
    if (section === undefined || section === 'grid') results.grid = await gridSection(values, ctx);
    if (section === undefined || section === 'studio') results.studio = await studioSection(values, ctx);
    if (section === undefined || section === 'inference') results.inference = await inferenceSection(values, ctx);
    // minutes per dataset: run only when asked by name
    if (section === 'trainer') results.trainer = await trainerSection(values, ctx);
    if (section === 'deploy') results.deploy = await deploySection(values, ctx);
    if (section === 'retrain') results.retrain = await retrainSection(values, ctx);
    if (section === 'training-ui') results['training-ui'] = await trainingUiSection(values, ctx);
    if (section === 'review-study') results['review-study'] = await reviewStudySection(values, ctx);
    if (values.json) printJson(ctx, section === undefined ? results : results[section]);
  },
};

async function studioSection(values: Record<string, string | boolean | undefined>, ctx: CommandContext) {
  const cases = await benchStudio({ chromium: process.env.DWB_CHROMIUM ?? '/usr/bin/chromium' }, ctx.err);
  if (!values.json) {
    for (const c of cases) {
      ctx.out(
        `studio: painting on ${c.width}×${c.height}: frame time median ${c.frameMsMedian.toFixed(1)} ms, 95th percentile ${c.frameMsP95.toFixed(1)} ms ` +
          `(${c.frames} frames, ${c.pointerMoves} pointer moves); pointer-up to stored ${c.storedMsMedian.toFixed(0)} ms median (${c.storedMs.join(', ')} ms); viewer open to mask ready ${c.openToMaskMs} ms\n`,
      );
    }
  }
  return cases;
}

async function deploySection(values: Record<string, string | boolean | undefined>, ctx: CommandContext) {
  const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1)) throw new UsageError('--epochs must be a positive whole number');
  const result = await benchDeploy(
    {
      datasets: DEFAULT_DATASETS(),
      backbone: typeof values.backbone === 'string' ? values.backbone : DEFAULT_BACKBONE(),
      ...(typeof values.dataset === 'string' ? { dataset: values.dataset } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      ...(values.images !== undefined ? { parityImages: Number(values.images) } : {}),
    },
    (line) => ctx.err(`${line}\n`),
  );
  if (!values.json) ctx.out(`${JSON.stringify(result, null, 2)}\n`);
  return result;
}

async function retrainSection(values: Record<string, string | boolean | undefined>, ctx: CommandContext) {
  const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1)) throw new UsageError('--epochs must be a positive whole number');
  const images = values.images === undefined ? undefined : Number(values.images);
  if (images !== undefined && (!Number.isInteger(images) || images < 2)) throw new UsageError('--images (shifted normal images to retrain on) must be a whole number ≥ 2');
  const result = await benchRetrain(
    {
      datasets: DEFAULT_DATASETS(),
      backbone: typeof values.backbone === 'string' ? values.backbone : DEFAULT_BACKBONE(),
      ...(typeof values.dataset === 'string' ? { dataset: values.dataset } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      ...(images !== undefined ? { newImages: images } : {}),
    },
    (line) => ctx.err(`${line}\n`),
  );
  if (!values.json) ctx.out(`${JSON.stringify(result, null, 2)}\n`);
  return result;
}

async function reviewStudySection(values: Record<string, string | boolean | undefined>, ctx: CommandContext) {
  const whole = (name: string, min: number) => {
    const raw = values[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}`);
    return n;
  };
  const perRound = whole('per-round', 1);
  const rounds = whole('rounds', 1);
  const seed = whole('seed', 0);
  const order = values.order;
  if (order !== undefined && !REVIEW_ORDERS.includes(order as ReviewOrder)) throw new UsageError(`--order must be one of ${REVIEW_ORDERS.join(', ')}`);
  const arms = typeof values.arms === 'string' ? values.arms.split(',') : undefined;
  for (const arm of arms ?? []) if (!REVIEW_STUDY_ARMS.includes(arm as ReviewStudyArm)) throw new UsageError(`unknown arm "${arm}"; use ${REVIEW_STUDY_ARMS.join(', ')}`);
  const result = await benchReviewStudy(
    {
      datasets: DEFAULT_DATASETS(),
      backbone: typeof values.backbone === 'string' ? values.backbone : DEFAULT_BACKBONE(),
      ...(typeof values.dataset === 'string' ? { dataset: values.dataset } : {}),
      ...(perRound !== undefined ? { perRound } : {}),
      ...(rounds !== undefined ? { rounds } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(order !== undefined ? { order: order as ReviewOrder } : {}),
      ...(arms ? { arms: arms as ReviewStudyArm[] } : {}),
    },
    (line) => ctx.err(`${line}\n`),
  );
  if (!values.json) ctx.out(reviewStudyTable(result));
  return result;
}

async function trainerSection(values: Record<string, string | boolean | undefined>, ctx: CommandContext): Promise<TrainerBenchResult> {
  if (values['ladder-only'] && values['no-ladder']) throw new UsageError('--ladder-only and --no-ladder exclude each other; give one');
  const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1)) throw new UsageError('--epochs must be a positive whole number');
  const preset = values.preset ?? 'fast';
  if (preset !== 'fast' && preset !== 'paper') throw new UsageError(`--preset ${String(preset)}: use fast or paper`);
  const r = await benchTrainer(
    {
      datasets: DEFAULT_DATASETS(),
      backbone: typeof values.backbone === 'string' ? values.backbone : DEFAULT_BACKBONE(),
      ...(typeof values.dataset === 'string' ? { dataset: values.dataset } : {}),
      ladder: values['ladder-only'] ? 'only' : values['no-ladder'] ? 'without' : 'with',
      ...(epochs !== undefined ? { epochs } : {}),
      seed: 0,
      preset,
    },
    ctx.err,
  );
  if (!values.json) {
    const pct = (v: number | null | undefined) => (v === null || v === undefined ? '   —' : (v * 100).toFixed(1).padStart(5));
    ctx.out(`trainer (${r.preset} preset, ${r.backbone}; ${r.cpu.cores} cores ${r.cpu.model}, load ${r.cpu.loadAverage.map((l) => l.toFixed(1)).join(' ')})\n`);
    ctx.out('dataset          img AUROC    AP  F1max   PG2   PB2  px AUROC AUPRO  px AP px F1max  train s  ms/img  peak RSS MB\n');
    for (const d of r.datasets) {
      const t = d.test;
      ctx.out(
        `${d.dataset.padEnd(16)} ${pct(t.image_auroc)}    ${pct(t.image_ap)} ${pct(t.image_f1max)} ${pct(t.pg2)} ${pct(t.pb2)}    ${pct(t.pixel_auroc)} ${pct(t.aupro)}  ${pct(t.pixel_ap)}    ${pct(t.pixel_f1max)}  ${d.trainSeconds.toFixed(0).padStart(7)}  ${t.ms_per_image.toFixed(1).padStart(6)}  ${String(d.peakRssMb).padStart(11)}\n`,
      );
    }
    if (r.ladder) {
      ctx.out(`supervision ladder on ${r.ladder.dataset}: ${r.ladder.moved} anomalous test images (seed ${r.ladder.seed}) moved to training; ${r.ladder.testImages} test images remain\n`);
      for (const rung of r.ladder.rungs) {
        ctx.out(`  ${rung.rung.padEnd(13)} image AUROC ${pct(rung.test.image_auroc)}  AP ${pct(rung.test.image_ap)}  pixel AP ${pct(rung.test.pixel_ap)}  AUPRO ${pct(rung.test.aupro)}  (${rung.trainSeconds.toFixed(0)} s)\n`);
      }
    }
  }
  return r;
}

async function trainingUiSection(values: Record<string, string | boolean | undefined>, ctx: CommandContext) {
  const dataset = path.join(DEFAULT_DATASETS(), typeof values.dataset === 'string' ? values.dataset : 'mvtec_bottle');
  const backbone = typeof values.backbone === 'string' ? values.backbone : DEFAULT_BACKBONE();
  const r = await benchTrainingUi({ dataset, backbone, chromium: process.env.DWB_CHROMIUM ?? '/usr/bin/chromium', ...(values.epochs ? { epochs: Number(values.epochs) } : {}) }, ctx.err);
  if (!values.json) {
    const gaps = (g: typeof r.idle) => `median ${g.medianMs.toFixed(1)} ms, 95th percentile ${g.p95Ms.toFixed(1)} ms, worst ${g.worstMs.toFixed(1)} ms (${g.frames} frames)`;
    ctx.out(`training-ui: ${r.images} images, grid scrolled at 3,000 px/s; frame gaps idle: ${gaps(r.idle)}; while training (${r.phases.join(', ')}): ${gaps(r.training)}\n`);
  }
  return r;
}

async function inferenceSection(values: Record<string, string | boolean | undefined>, ctx: CommandContext) {
  const models = path.dirname(DEFAULT_BACKBONE());
  const size = parseSize(values.size);
  // a size the trainer would refuse is refused before minutes of timing, in the trainer's words
  if (size) {
    try {
      resolveConfig({ backbonePath: models, preset: 'fast', size }, { provider: 'cpu' });
    } catch (error) {
      throw new UsageError(`--size: ${(error as Error).message}`);
    }
  }
  const r = await benchInference({ models, datasets: DEFAULT_DATASETS(), runs: 5, ...(size ? { size } : {}) }, ctx.err);
  if (!values.json) {
    const peak = 'gflops' in r.peak ? `FMA peak ${r.peak.gflops.toFixed(0)} GFLOP/s (${r.peak.isa}, ${r.peak.threads} threads)` : `no FMA peak (${r.peak.error})`;
    ctx.out(`inference at ${r.size.width}×${r.size.height} on ${r.images}; ${peak}\n`);
    for (const b of r.backbones) {
      const share = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(0)}%`);
      ctx.out(
        `  ${b.backbone}: ${b.gflopPerImage.toFixed(2)} GFLOP; decode ${b.decodeMs.toFixed(1)} + backbone ${b.singleMs.toFixed(1)} (${share(b.singlePeakShare)} of peak) + heads ${b.headsMs.toFixed(1)} + post ${b.postprocessMs.toFixed(1)} = ${b.singleTotalMs.toFixed(1)} ms one at a time (${b.singleTotalAtSizeMs.toFixed(1)} from a ${r.size.width}×${r.size.height} PNG, decoded in ${b.decodeAtSizeMs.toFixed(1)}); ` +
          `backbone ${b.batchedMsPerImage.toFixed(1)} ms/image (${share(b.batchedPeakShare)}) → ${b.batchedTotalMs.toFixed(1)} ms in batches\n`,
      );
    }
  }
  return r;
}

async function gridSection(values: Record<string, string | boolean | undefined>, ctx: CommandContext) {
  const r = await benchGrid({ images: 20_000, chromium: process.env.DWB_CHROMIUM ?? '/usr/bin/chromium' }, ctx.err);
  if (!values.json) {
    ctx.out(
      `grid: ${r.images} images in browser mode: first thumbnails ${r.openToFirstThumbnailsMs} ms after Open; ` +
        `scrolling ${r.scrolledRows} rows at 3,000 px/s: frame time median ${r.frameMsMedian.toFixed(1)} ms, 95th percentile ${r.frameMsP95.toFixed(1)} ms (${r.frames} frames)\n`,
    );
  }
  return r;
}

async function importSection(values: Record<string, string | boolean | undefined>, ctx: CommandContext) {
  const images = values.images === undefined ? 2000 : Number(values.images);
  if (!Number.isInteger(images) || images < 1) throw new UsageError('--images must be a positive whole number');
  const r = await benchImport({ images, size: 1024 }, ctx.err);
  if (!values.json) {
    ctx.out(
      `import: ${r.images} PNGs of ${r.size}×${r.size} (${r.datasetMb} MB): ${r.imagesPerSecond.toFixed(1)} images/s ` +
        `(${r.elapsedSeconds.toFixed(1)} s), peak RSS ${r.peakRssMb} MB; re-import of the same files ${r.reimportImagesPerSecond.toFixed(1)} images/s\n`,
    );
  }
  return r;
}

async function engineSection(values: Record<string, string | boolean | undefined>, ctx: CommandContext) {
  let providers: ExecutionProvider[] | undefined;
  if (typeof values.provider === 'string') {
    if (!PROVIDER_ORDER.includes(values.provider as ExecutionProvider)) throw new UsageError(`unknown provider "${values.provider}"; use one of ${PROVIDER_ORDER.join(', ')}`);
    providers = [values.provider as ExecutionProvider];
  }
  const isa = typeof values['fma-isa'] === 'string' ? values['fma-isa'] : undefined;
  const formulations = (typeof values['conv-formulations'] === 'string' ? values['conv-formulations'] : 'gemm').split(',');
  for (const f of formulations) if (!FORMULATIONS.includes(f as never)) throw new UsageError(`unknown weight-gradient formulation "${f}"; use ${FORMULATIONS.join(', ')}`);
  // the peak is measured at the start and the end (the best is the machine's peak), and a quick reading is taken
  // before and after every timed series: on a shared machine the share of the cores a process gets drifts within
  // seconds, so each ratio compares a series with the peak read beside it (timedAgainstPeak)
  const probe = fmaPeakProbe(ctx.err, isa);
  const withProviders = (steps: number) => ({ steps, peak: probe, strict: values.strict === true, ...(providers ? { providers } : {}) });
  const peaks = [await measureFmaPeak(ctx.err, isa)];
  const feasibility = await benchTrainingStep(FEASIBILITY, withProviders(10), ctx.err);
  const superSimpleNet: (StepBenchResult & SuperSimpleNetStepSize)[] = [];
  for (const size of SUPERSIMPLENET) superSimpleNet.push(await benchSuperSimpleNetStep(size, withProviders(3), ctx.err));
  const clsConv = await benchConvWeightGradient(CLS_CONV, { runs: 2, formulations: formulations as (typeof FORMULATIONS)[number][], peak: probe }, ctx.err);
  peaks.push(await measureFmaPeak(ctx.err, isa));
  const measured = peaks.filter((p): p is FmaPeak => 'gflops' in p);
  const peak = measured.length ? measured.reduce((a, b) => (b.gflops > a.gflops ? b : a)) : null;
  const peakGflops = peak?.gflops ?? null;
  const ratio = (r: StepBenchResult) => r.ratio;
  const percent = (share: number | null | undefined) => (share === null || share === undefined ? '' : `, ${(share * 100).toFixed(0)}% of peak`);
  if (!values.json) {
    ctx.out(`engine: FMA peak ${peak ? `${peak.gflops.toFixed(1)} GFLOP/s float32 on ${peak.threads} threads (${peak.isa}, ${peak.chains} chains of ${peak.lanes} floats)` : (peaks[0] as { error: string }).error}\n`);
    ctx.out('  (each % compares a timed series with the FMA peak read just before and after it)\n');
    const line = (label: string, r: StepBenchResult) =>
      ctx.out(`  ${label} (${r.gflopPerStep.toFixed(1)} GFLOP) on ${r.provider}: ${r.stepMs.toFixed(1)} ms median (best ${r.bestStepMs.toFixed(1)}), ${r.gflops.toFixed(1)} GFLOP/s${percent(r.ratio)}\n`);
    line(`train step ${FEASIBILITY.batch}×${FEASIBILITY.channels}×${FEASIBILITY.size}×${FEASIBILITY.size}, head ${FEASIBILITY.head}`, feasibility);
    for (const r of superSimpleNet) line(`SuperSimpleNet step, ${r.preset} preset, ${r.batch} images of ${r.size}² doubled to ${2 * r.batch}, both heads`, r);
    ctx.out(`  cls conv ${CLS_CONV.kernel}×${CLS_CONV.kernel} ${CLS_CONV.inChannels}→${CLS_CONV.outChannels}, batch ${CLS_CONV.batch} at ${CLS_CONV.size}×${CLS_CONV.size}: forward ${clsConv.forwardGflops.toFixed(1)} GFLOP/s${percent(clsConv.ratios.forward)}`);
    for (const [f, g] of Object.entries(clsConv.weightGradientGflops)) ctx.out(`; weight gradient (${f}) ${g.toFixed(1)} GFLOP/s${percent(clsConv.ratios.weightGradient[f])}`);
    for (const [f, g] of Object.entries(clsConv.inputGradientGflops)) ctx.out(`; input gradient (${f}) ${g.toFixed(1)} GFLOP/s${percent(clsConv.ratios.inputGradient[f])}`);
    ctx.out('\n');
    const failed = feasibility.attempts.filter((a) => !a.ok);
    if (failed.length) ctx.out(`  providers that did not load: ${failed.map((a) => `${a.provider} (${a.error})`).join('; ')}\n`);
  }
  return {
    stepMs: feasibility.stepMs,
    bestStepMs: feasibility.bestStepMs,
    gflops: feasibility.gflops,
    peakGflops,
    ratio: ratio(feasibility),
    gflopPerStep: feasibility.gflopPerStep,
    provider: feasibility.provider,
    attempts: feasibility.attempts,
    size: FEASIBILITY,
    superSimpleNet: superSimpleNet.map((r) => ({ stepMs: r.stepMs, bestStepMs: r.bestStepMs, gflops: r.gflops, ratio: ratio(r), gflopPerStep: r.gflopPerStep, provider: r.provider, size: { preset: r.preset, batch: r.batch, size: r.size } })),
    clsConvWeightGradient: {
      size: CLS_CONV,
      gflopPerPass: clsConv.gflop,
      forwardGflops: clsConv.forwardGflops,
      forwardRatio: clsConv.ratios.forward,
      weightGradientGflops: clsConv.weightGradientGflops,
      weightGradientRatio: clsConv.ratios.weightGradient,
      inputGradientGflops: clsConv.inputGradientGflops,
      inputGradientRatio: clsConv.ratios.inputGradient,
    },
    peaks: measured.map((p) => p.gflops),
    ...(peak ? { peakThreads: peak.threads, peakIsa: peak.isa, peakLanes: peak.lanes, peakChains: peak.chains } : { peakError: (peaks[0] as { error: string }).error }),
  };
}
