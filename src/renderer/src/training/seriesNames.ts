// What the training charts call each series. The keys are the trainer's (its events and `dwb train --json` keep
// them); a user reads these instead of camel-cased field names. An unknown key is shown as it is.
const NAMES: Record<string, string> = {
  total: 'total',
  l1: 'map: truncated L1',
  focalMap: 'map: focal',
  focalScore: 'image score: focal',
  meanNormalScore: 'good parts: mean score',
  maxNormalScore: 'good parts: highest score',
  imageAuroc: 'image AUROC',
};

export const seriesName = (key: string): string => NAMES[key] ?? key;

/**
 * Tick labels of a log-scale axis: the powers of ten only (the ticks between them stay unlabelled), as plain
 * numbers down to 0.01 and as 1e-3, 1e-4 … below, never a small loss rounded to "0".
 */
export const logTicks = (ticks: number[]): string[] =>
  ticks.map((t) => {
    const decade = Math.round(Math.log10(t));
    if (!(t > 0) || Math.abs(Math.log10(t) - decade) > 1e-6) return '';
    return decade >= -2 ? String(Number(t.toPrecision(1))) : `1e${decade}`;
  });
