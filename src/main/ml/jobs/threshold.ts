// The image threshold a version labels with in the app and in dwb predict (the line's pass / review / reject
// thresholds, once derived, are the line monitor's and the export's: deploy/driftMonitor.ts, lineThresholdsOf):
// fitted on validation, never on test — the F1-max threshold when validation has anomalous images, else the 99th
// percentile of the normal validation scores (about 1% of good parts flagged), else 0.5 on the score's probability
// scale.
import type { Project } from '../../store/project.js';

export type ThresholdSource = 'validation-f1max' | 'validation-normal-q99' | 'default';

export interface ImageThreshold {
  value: number;
  source: ThresholdSource;
}

export function imageThreshold(project: Project, versionId: number): ImageThreshold {
  const validation = project.models.evaluations(versionId).filter((e) => e.split === 'val').at(-1);
  if (validation?.metrics.f1max_threshold != null) return { value: validation.metrics.f1max_threshold, source: 'validation-f1max' };
  if (validation?.metrics.normal_q99 != null) return { value: validation.metrics.normal_q99, source: 'validation-normal-q99' };
  return { value: 0.5, source: 'default' };
}
