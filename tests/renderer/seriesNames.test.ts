// The training charts' labels: readable series names and log-axis ticks that never round a small loss to "0".
import { describe, expect, it } from 'vitest';
import { logTicks, seriesName } from '../../src/renderer/src/training/seriesNames';

describe('training chart labels', () => {
  it('names the trainer\'s series in words and passes an unknown one through', () => {
    expect(['total', 'l1', 'focalMap', 'focalScore', 'meanNormalScore', 'maxNormalScore'].map(seriesName)).toEqual([
      'total',
      'map: truncated L1',
      'map: focal',
      'image score: focal',
      'good parts: mean score',
      'good parts: highest score',
    ]);
    expect(seriesName('someNewTerm')).toBe('someNewTerm');
  });

  it('labels the powers of ten of a log axis, as numbers down to 0.01 and as 1e-n below, and nothing between', () => {
    expect(logTicks([10, 1, 0.1, 0.01, 0.001, 1e-5])).toEqual(['10', '1', '0.1', '0.01', '1e-3', '1e-5']);
    expect(logTicks([0.02, 0.05, 0.3, 2, 0])).toEqual(['', '', '', '', '']);
  });
});
