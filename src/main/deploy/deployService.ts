// The deploy services behind the typed API: line thresholds (read, derive, edit), export and the drift verdict.
// Deriving and exporting run ONNX sessions, so they go to their own ML worker; the main thread only reads and
// writes the catalog.
import type { ApiResults } from '../../shared/api.js';
import type { LineThresholdsView } from '../../shared/deploy.js';
import type { Handlers } from '../app/dispatch.js';
import { resolveUserPath } from '../fs/userPaths.js';
import { MlWorker } from '../ml/jobs/mlWorker.js';
import type { Project } from '../store/project.js';
import { driftStatus, storedReferenceScores } from './driftMonitor.js';
import { LineThresholdStore, type LineThresholds } from './lineThresholdStore.js';


type DeployChannel = 'deploy.thresholds' | 'deploy.deriveThresholds' | 'deploy.editThresholds' | 'deploy.export' | 'deploy.drift';

export function thresholdsView(t: LineThresholds): LineThresholdsView {
  const image = t.derivation.image;
  return {
    versionId: t.versionId,
    review: t.review,
    reject: t.reject,
    pixel: t.pixel,
    basis: t.basis,
    targets: t.targets,
    promised: { good: image.good, bad: image.bad },
    goodImages: image.goodImages,
    badImages: image.badImages,
    notes: [...image.notes, t.derivation.pixel.note],
    derivedAt: t.derivedAt,
    editedAt: t.editedAt,
  };
}

export class DeployService {
  private worker: MlWorker | null = null;

  constructor(private readonly current: () => Project) {}

  private ml(): MlWorker {
    this.worker ??= new MlWorker();
    return this.worker;
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    this.worker = null;
  }

  readonly handlers: Pick<Handlers, DeployChannel> = {
    'deploy.thresholds': async ({ version }) => {
      const project = this.current();
      project.models.require(version);
      const stored = new LineThresholdStore(project.db).get(version);
      return stored ? thresholdsView(stored) : null;
    },
    'deploy.deriveThresholds': async ({ version, maxMissRate, maxFalseRejectRate }) => {
      const project = this.current();
      project.models.require(version);
      const derived = await this.ml().request({ type: 'thresholds', projectRoot: project.layout.root, versionId: version, targets: { maxMissRate, maxFalseRejectRate } });
      return thresholdsView(derived);
    },
    'deploy.editThresholds': async ({ version, review, reject, pixel }) => {
      const edits = Object.fromEntries(Object.entries({ review, reject, pixel }).filter(([, v]) => v !== undefined));
      return thresholdsView(new LineThresholdStore(this.current().db).edit(version, edits));
    },
    'deploy.export': async ({ version, out }): Promise<ApiResults['deploy.export']> => {
      const project = this.current();
      const versionId = project.models.resolve(version).id;
      // typed in the app: "~" and relative paths from the home folder, as every other path the user types
      return this.ml().request({ type: 'export', projectRoot: project.layout.root, versionId, out: resolveUserPath(out) });
    },
    'deploy.drift': async ({ version }) => {
      const project = this.current();
      const versionId = project.models.resolve(version).id;
      // the reference comes from the stored validation evaluation: no ONNX session runs on the main thread
      return driftStatus(project, versionId, { reference: storedReferenceScores(project, versionId) });
    },
  };
}
