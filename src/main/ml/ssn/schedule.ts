// Learning rates per parameter group at a step: the preset's rates, multiplied by 0.4 after each decay point
// (fractions of all steps; the published schedule decays at 80% and 90% of the epochs).
import type { TrainingConfig } from './types.js';

export function learningRates(config: TrainingConfig, step: number, totalSteps: number): Record<string, number> {
  const passed = config.lrDecayAt.filter((f) => step >= Math.round(f * totalSteps)).length;
  const factor = 0.4 ** passed;
  return { adaptor: config.lrAdaptor * factor, heads: config.lrHeads * factor };
}
