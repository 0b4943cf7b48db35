// `npm run bench -- review-study`: what a human's review is worth. On magnetic_tile (by default) the test images are
// split with a fixed seed, per defect class, into a pool — unlabelled images from the line, put in the training split
// without labels — and a held-out evaluation set that stays the project's test split and never trains anything. The
// unsupervised model (train/good only) starts both arms:
//  - review arm: each round the pool is scored by the current version (models.evaluate on the training split), the
//    review queue's top k unlabelled pool images (review.queue, by default nearest the threshold first) get the real
//    review actions (review.act) with the dataset's own answer standing for the human — a true defect: accept the
//    predicted mask, then correct it to the true mask as a labelling edit; a true normal: confirm normal — and the
//    model is retrained the way the queue's Retrain does (training.start, warm start from the previous version, its
//    steps);
//  - random arm: the same number of pool images a round, drawn at random (seeded), labelled and trained the same way.
// Every version is evaluated on the held-out set by the training run itself (PG2, image AUROC, AP, pixel AP), until
// PG2 has moved by the target or the round limit. Both arms share one project (and so its feature cache) and the
// same unsupervised version; they take turns round by round, each arm's labels put back on the pool before its turn.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApiEvents, ApiResults, Channel, EventName } from '../shared/api.js';
import type { ImageRecord } from '../shared/domain.js';
import type { EvaluationMetrics } from '../shared/models.js';
import { DEFAULT_REVIEW_ORDER, type ReviewOrder } from '../shared/review.js';
import { validateInput } from '../main/app/dispatch.js';
import { ReviewService } from '../main/app/review.js';
import { TrainingService } from '../main/app/training.js';
import { runImport } from '../main/import/importer.js';
import { planImport } from '../main/import/sources.js';
import { splitRank } from '../main/import/validationSplit.js';
import { Project } from '../main/store/project.js';
import { shuffled } from '../main/util/random.js';

export const REVIEW_STUDY_ARMS = ['review', 'random'] as const;
export type ReviewStudyArm = (typeof REVIEW_STUDY_ARMS)[number];

export interface ReviewStudyOptions {
  datasets: string;
  backbone: string;
  dataset?: string;
  /** Images reviewed (or labelled at random) per round (default 20). */
  perRound?: number;
  /** Rounds per arm at most (default 4). */
  rounds?: number;
  /** Seed of the pool / held-out split, of the random arm's draw and of training (default 0). */
  seed?: number;
  order?: ReviewOrder;
  arms?: ReviewStudyArm[];
  /** PG2 gain (a fraction) that ends an arm (default 0.10, ten points). */
  target?: number;
  /** Share of each class's test images that go to the pool (default 0.5). */
  poolFraction?: number;
}

type Figures = Pick<EvaluationMetrics, 'pg2' | 'image_auroc' | 'image_ap' | 'pixel_ap' | 'aupro' | 'pixel_auroc'>;

export interface ReviewStudyRow extends Figures {
  arm: ReviewStudyArm | 'unsupervised';
  round: number;
  version: number;
  epochs: number;
  /** Images labelled so far in this arm (one review action each). */
  actions: number;
  /** Of them, truly anomalous (labelled with their true mask). */
  anomalous: number;
  /** Of the anomalous ones, how many the predicted mask was accepted for before the correction (else confirmed weak). */
  predictedMaskAccepted: number;
  /** Training run wall time: start to version stored, including its validation and held-out evaluations. */
  trainWallSeconds: number;
  /** The training steps alone (the version's own figure). */
  trainSeconds: number;
  /** Scoring the pool for the next round's queue (review arm only). */
  scoreWallSeconds: number | null;
}

export interface ReviewStudyResult {
  dataset: string;
  cpu: { model: string; cores: number; loadAverageStart: number[]; loadAverageEnd: number[] };
  seed: number;
  perRound: number;
  rounds: number;
  order: ReviewOrder;
  target: number;
  pool: { images: number; anomalous: number };
  heldOut: { images: number; anomalous: number };
  baseline: ReviewStudyRow;
  rows: ReviewStudyRow[];
  /** Actions each arm needed to move held-out PG2 by the target, or null when it did not within its rounds. */
  reached: Partial<Record<ReviewStudyArm, number | null>>;
  wallSeconds: number;
}

interface Truth {
  id: number;
  anomalous: boolean;
  defectClass: string | null;
  mask: ReturnType<Project['images']['mask']>;
}

/** The API as the app calls it: input validated by its schema, then the service's handler. */
type Call = <C extends Channel>(channel: C, raw: unknown) => Promise<ApiResults[C]>;

/** Per class (folder), the first `fraction` of the test images by a seeded hash of their content go to the pool. */
export function splitPool<T extends Pick<ImageRecord, 'sha256' | 'defectClass' | 'labelState'>>(images: readonly T[], fraction: number, seed: number): { pool: T[]; heldOut: T[] } {
  const groups = new Map<string, T[]>();
  for (const image of images) {
    const key = image.labelState === 'anomalous' ? `anomalous:${image.defectClass ?? ''}` : image.labelState;
    groups.set(key, [...(groups.get(key) ?? []), image]);
  }
  const pool: T[] = [];
  const heldOut: T[] = [];
  for (const key of [...groups.keys()].sort()) {
    const ranked = groups.get(key)!.map((image) => ({ image, rank: splitRank(seed, image.sha256) })).sort((a, b) => (a.rank < b.rank ? -1 : 1));
    const count = Math.round(fraction * ranked.length);
    ranked.forEach(({ image }, index) => (index < count ? pool : heldOut).push(image));
  }
  return { pool, heldOut };
}

/** The app's services on one project, with their finished events turned into promises. */
function services(project: Project) {
  const finished = new Map<string, ApiEvents['training.finished'] | ApiEvents['evaluation.finished']>();
  const waiting = new Map<string, (e: ApiEvents['training.finished'] | ApiEvents['evaluation.finished']) => void>();
  const settle = (key: string, event: ApiEvents['training.finished'] | ApiEvents['evaluation.finished']) => {
    const waiter = waiting.get(key);
    if (waiter) {
      waiting.delete(key);
      waiter(event);
    } else finished.set(key, event);
  };
  const emit = <E extends EventName>(event: E, payload: ApiEvents[E]) => {
    if (event === 'training.finished') settle(`run:${(payload as ApiEvents['training.finished']).runId}`, payload as ApiEvents['training.finished']);
    if (event === 'evaluation.finished') settle(`evaluation:${(payload as ApiEvents['evaluation.finished']).jobId}`, payload as ApiEvents['evaluation.finished']);
  };
  const training = new TrainingService(() => project, emit);
  const review = new ReviewService(() => project, () => {});
  const handlers = { ...training.handlers, ...review.handlers } as Record<string, (input: unknown) => Promise<unknown>>;
  const call: Call = async (channel, raw) => {
    const handler = handlers[channel];
    if (!handler) throw new Error(`the study has no handler for ${channel}`);
    return handler(validateInput(channel, raw)) as never;
  };
  const until = <T>(key: string) =>
    new Promise<T>((resolve) => {
      const done = finished.get(key);
      if (done) {
        finished.delete(key);
        resolve(done as T);
      } else waiting.set(key, resolve as never);
    });
  return { call, training, until };
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '  —' : (v * 100).toFixed(1));

export async function benchReviewStudy(options: ReviewStudyOptions, log: (s: string) => void): Promise<ReviewStudyResult> {
  const name = options.dataset ?? 'magnetic_tile';
  const perRound = options.perRound ?? 20;
  const rounds = options.rounds ?? 4;
  const seed = options.seed ?? 0;
  const order = options.order ?? DEFAULT_REVIEW_ORDER;
  const arms = options.arms ?? [...REVIEW_STUDY_ARMS];
  const target = options.target ?? 0.1;
  const started = performance.now();
  const loadAverageStart = os.loadavg();
  const work = await mkdtemp(path.join(os.tmpdir(), `dwb-review-study-${name}-`));
  const project = await Project.create(path.join(work, 'project'), { name: `review study ${name}` });
  const { call, training, until } = services(project);
  try {
    log(`${name}: importing…`);
    const report = await runImport(project, await planImport(path.join(options.datasets, name), 'mvtec'));
    if (report.status !== 'completed') throw new Error(`import of ${name} did not complete`);
    const { pool, heldOut } = splitPool(project.images.list({ split: 'test' }), options.poolFraction ?? 0.5, seed);
    const truth = new Map<number, Truth>(
      pool.map((image) => [image.id, { id: image.id, anomalous: image.labelState === 'anomalous', defectClass: image.defectClass, mask: image.maskSha256 ? project.images.mask(image.maskSha256) : undefined }]),
    );
    for (const t of truth.values()) if (t.anomalous && !t.mask) throw new Error(`pool image ${t.id} is anomalous without a mask; the study needs the dataset's masks`);
    // the pool joins the training split unlabelled: it trains nothing until someone labels it
    project.images.setSplits(pool.map((image) => ({ id: image.id, split: 'train' })));
    for (const image of pool) project.images.setLabel(image.id, { labelState: 'unlabeled', defectClass: null }, 'user');
    const anomalousIn = (images: readonly ImageRecord[]) => images.filter((i) => i.labelState === 'anomalous').length;
    log(`${name}: pool ${pool.length} images (${anomalousIn(pool)} anomalous), held-out ${heldOut.length} (${anomalousIn(heldOut)} anomalous), seed ${seed}`);

    const train = async (parent: ApiResults['models.get'] | null) => {
      const at = performance.now();
      const { runId } = await call('training.start', {
        backbone: options.backbone,
        preset: 'fast',
        seed,
        // the queue's Retrain: the parent's preset, size and seed, warm-started from it (as many steps as it took)
        ...(parent ? { preset: parent.preset, size: parent.size, seed: parent.seed, parentVersion: parent.id } : {}),
      });
      const outcome = await until<ApiEvents['training.finished']>(`run:${runId}`);
      if (outcome.status !== 'completed' || outcome.versionId === null) throw new Error(`training run ${runId} ${outcome.status}: ${outcome.error ?? ''}`);
      const version = await call('models.get', { version: outcome.versionId });
      return { version, wallSeconds: (performance.now() - at) / 1000 };
    };
    const scorePool = async (version: number) => {
      const at = performance.now();
      const { jobId } = await call('models.evaluate', { version, split: 'train' });
      const outcome = await until<ApiEvents['evaluation.finished']>(`evaluation:${jobId}`);
      if (!outcome.evaluation) throw new Error(`scoring the pool with version ${version} failed: ${outcome.error}`);
      return (performance.now() - at) / 1000;
    };
    const heldOutFigures = (version: number): Figures => {
      const evaluation = project.models.evaluation(version, 'test');
      if (!evaluation) throw new Error(`version ${version} has no held-out (test) evaluation`);
      const m = evaluation.metrics;
      return { pg2: m.pg2, image_auroc: m.image_auroc, image_ap: m.image_ap, pixel_ap: m.pixel_ap, aupro: m.aupro, pixel_auroc: m.pixel_auroc };
    };
    const describe = (row: ReviewStudyRow) =>
      `${row.arm} round ${row.round}: ${row.actions} actions (${row.anomalous} anomalous) → held-out PG2 ${pct(row.pg2)}, image AUROC ${pct(row.image_auroc)}, AP ${pct(row.image_ap)}, pixel AP ${pct(row.pixel_ap)}; train ${row.trainWallSeconds.toFixed(0)} s wall (${row.trainSeconds.toFixed(0)} s steps)${row.scoreWallSeconds === null ? '' : `, pool scored in ${row.scoreWallSeconds.toFixed(0)} s`}; load ${os.loadavg()[0]!.toFixed(1)}`;

    log(`${name}: training the unsupervised model (train/good only)…`);
    const base = await train(null);
    const needsQueue = arms.includes('review');
    const baseScore = needsQueue ? await scorePool(base.version.id) : null;
    const baseline: ReviewStudyRow = {
      arm: 'unsupervised',
      round: 0,
      version: base.version.id,
      epochs: base.version.epochs,
      actions: 0,
      anomalous: 0,
      predictedMaskAccepted: 0,
      trainWallSeconds: base.wallSeconds,
      trainSeconds: base.version.trainSeconds,
      scoreWallSeconds: baseScore,
      ...heldOutFigures(base.version.id),
    };
    log(describe(baseline));
    if (baseline.pg2 === null) throw new Error('the held-out set gave no PG2 (it needs normal and anomalous images)');
    const goal = baseline.pg2 + target;

    const rows: ReviewStudyRow[] = [];
    const reached: ReviewStudyResult['reached'] = {};

    // the arms take turns, round by round, so that a study cut short still compares them at equal effort; each keeps
    // its own labelled set, put back on the shared project before its turn
    const randomOrder = shuffled(pool.map((i) => i.id), seed + 1);
    const state = new Map(arms.map((arm) => [arm, { current: base.version, labelled: new Set<number>(), anomalous: 0, accepted: 0, done: false }]));
    for (const arm of arms) reached[arm] = null;
    const labelTruly = (id: number) => {
      const answer = truth.get(id)!;
      if (answer.anomalous) project.images.setLabel(id, { labelState: 'anomalous', defectClass: answer.defectClass }, 'user', answer.mask);
      else project.images.setLabel(id, { labelState: 'normal' }, 'user');
    };
    const restore = (labelled: ReadonlySet<number>) => {
      for (const image of pool) {
        const record = project.images.get(image.id)!;
        if (labelled.has(image.id)) {
          if (record.labelState === 'unlabeled') labelTruly(image.id);
        } else if (record.labelState !== 'unlabeled') project.images.setLabel(image.id, { labelState: 'unlabeled', defectClass: null }, 'user');
      }
    };
    for (let round = 1; round <= rounds; round++) {
      for (const arm of arms) {
        const s = state.get(arm)!;
        if (s.done) continue;
        restore(s.labelled);
        let picked: number[];
        if (arm === 'review') {
          const queue = await call('review.queue', { version: s.current.id, order });
          // the queue also lists the labelled training images the version scored; the reviewer works through the pool
          picked = queue.items.filter((item) => truth.has(item.imageId) && !s.labelled.has(item.imageId)).slice(0, perRound).map((item) => item.imageId);
        } else {
          picked = randomOrder.filter((id) => !s.labelled.has(id)).slice(0, perRound);
        }
        if (picked.length === 0) {
          s.done = true;
          continue;
        }
        for (const id of picked) {
          const answer = truth.get(id)!;
          s.labelled.add(id);
          if (!answer.anomalous) {
            await call('review.act', { version: s.current.id, imageId: id, action: 'normal' });
            continue;
          }
          s.anomalous++;
          try {
            await call('review.act', { version: s.current.id, imageId: id, action: 'mask' });
            s.accepted++;
          } catch (error) {
            // nothing predicted at the pixel threshold, or (random arm) the version never scored the image, so there
            // is no prediction to accept: the reviewer confirms the defect and draws it
            if (!['empty-prediction', 'not-scored'].includes((error as { code?: string }).code ?? '')) throw error;
            await call('review.act', { version: s.current.id, imageId: id, action: 'anomalous' });
          }
          // the correction, as the labelling tools store it: the true mask replaces the predicted one
          labelTruly(id);
        }
        const trained = await train(s.current);
        s.current = trained.version;
        const row: ReviewStudyRow = {
          arm,
          round,
          version: s.current.id,
          epochs: s.current.epochs,
          actions: s.labelled.size,
          anomalous: s.anomalous,
          predictedMaskAccepted: s.accepted,
          trainWallSeconds: trained.wallSeconds,
          trainSeconds: s.current.trainSeconds,
          scoreWallSeconds: null,
          ...heldOutFigures(s.current.id),
        };
        if (row.pg2 !== null && row.pg2 >= goal) {
          reached[arm] = row.actions;
          s.done = true;
        }
        // the next round's queue needs the pool scored by this version
        if (arm === 'review' && !s.done && round < rounds) row.scoreWallSeconds = await scorePool(s.current.id);
        rows.push(row);
        log(describe(row));
      }
    }
    return {
      dataset: name,
      cpu: { model: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), loadAverageStart, loadAverageEnd: os.loadavg() },
      seed,
      perRound,
      rounds,
      order,
      target,
      pool: { images: pool.length, anomalous: anomalousIn(pool) },
      heldOut: { images: heldOut.length, anomalous: anomalousIn(heldOut) },
      baseline,
      rows,
      reached,
      wallSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await training.stop();
    project.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** The study as a table (percentages), one line per model. */
export function reviewStudyTable(r: ReviewStudyResult): string {
  const lines = [
    `review study on ${r.dataset}: pool ${r.pool.images} images (${r.pool.anomalous} anomalous), held-out ${r.heldOut.images} (${r.heldOut.anomalous} anomalous); ${r.perRound} a round, at most ${r.rounds} rounds; queue order ${r.order}; seed ${r.seed}`,
    `${r.cpu.cores} cores ${r.cpu.model}; load average at start ${r.cpu.loadAverageStart.map((l) => l.toFixed(1)).join(' ')}, at end ${r.cpu.loadAverageEnd.map((l) => l.toFixed(1)).join(' ')}; ${(r.wallSeconds / 60).toFixed(0)} min wall`,
    'arm           round actions anomalous  PG2  img AUROC    AP  px AP  train s (steps)  pool scored s',
  ];
  for (const row of [r.baseline, ...r.rows]) {
    lines.push(
      `${row.arm.padEnd(13)} ${String(row.round).padStart(5)} ${String(row.actions).padStart(7)} ${String(row.anomalous).padStart(9)} ${pct(row.pg2).padStart(5)} ${pct(row.image_auroc).padStart(10)} ${pct(row.image_ap).padStart(5)} ${pct(row.pixel_ap).padStart(6)} ${`${row.trainWallSeconds.toFixed(0)} (${row.trainSeconds.toFixed(0)})`.padStart(16)} ${row.scoreWallSeconds === null ? '            —' : row.scoreWallSeconds.toFixed(0).padStart(14)}`,
    );
  }
  for (const [arm, actions] of Object.entries(r.reached)) {
    lines.push(`${arm}: ${actions === null ? `PG2 did not move by ${(r.target * 100).toFixed(0)} points within ${r.rounds} rounds` : `PG2 +${(r.target * 100).toFixed(0)} points after ${actions} actions`}`);
  }
  return `${lines.join('\n')}\n`;
}
