// Model scores in the grid: the active version's (else the newest's) score and predicted label for every image it
// scored, a badge on each thumbnail, and filtering the grid by what the model says (the score orders are among the
// grid's one Order, in ../workspace/gridOrder.ts).
import { FormControl, InputLabel, MenuItem, Select } from '@mui/material';
import { useEffect, useState } from 'react';
import type { ImageSummary } from '../../../shared/api';
import { api } from '../api/transport';
import type { ImageScore, ScoreMap } from '../workspace/gridOrder';

export type ScoreFilter = 'any' | 'anomalous' | 'normal' | 'unscored';

export function useScores(): ScoreMap {
  const [scores, setScores] = useState<ScoreMap>(new Map());
  useEffect(() => {
    let live = true;
    const load = async () => {
      const versions = await api.call('models.list', {});
      const chosen = versions.find((v) => v.active) ?? [...versions].sort((a, b) => b.id - a.id)[0];
      if (!chosen) {
        if (live) setScores(new Map()); // the last version was deleted: nothing scores the images now
        return;
      }
      const queue = await api.call('review.queue', { version: chosen.id });
      if (live) setScores(new Map(queue.items.map((i) => [i.imageId, { score: i.score, predicted: i.predicted, margin: Math.abs(i.score - queue.imageThreshold) }])));
    };
    void load().catch(() => undefined);
    const offs = (['training.finished', 'evaluation.finished', 'models.changed'] as const).map((event) => api.on(event, () => void load()));
    return () => {
      live = false;
      offs.forEach((off) => off());
    };
  }, []);
  return scores;
}

export function filterByScore(items: ImageSummary[], scores: ScoreMap, filter: ScoreFilter): ImageSummary[] {
  if (filter === 'any') return items;
  return items.filter((i) => (filter === 'unscored' ? !scores.has(i.id) : scores.get(i.id)?.predicted === filter));
}

export function ScoreFilterControl({ value, onChange, disabled }: { value: ScoreFilter; onChange(value: ScoreFilter): void; disabled: boolean }) {
  return (
    <FormControl size="small" disabled={disabled} sx={{ mt: 2, width: '100%' }}>
      <InputLabel>Model says</InputLabel>
      <Select label="Model says" value={value} onChange={(e) => onChange(e.target.value as ScoreFilter)} data-testid="score-filter">
        <MenuItem value="any">Any</MenuItem>
        <MenuItem value="anomalous">Anomalous</MenuItem>
        <MenuItem value="normal">Normal</MenuItem>
        <MenuItem value="unscored">Not scored</MenuItem>
      </Select>
    </FormControl>
  );
}

export function ScoreBadge({ score }: { score: ImageScore | undefined }) {
  if (!score) return null;
  return (
    <span
      data-testid="thumb-score"
      style={{
        position: 'absolute',
        top: 4,
        right: 4,
        padding: '0 5px',
        borderRadius: 3,
        fontSize: 11,
        color: '#fff',
        background: score.predicted === 'anomalous' ? 'rgba(211,47,47,0.9)' : 'rgba(46,125,50,0.9)',
      }}
      title={`model: ${score.predicted}, score ${score.score.toFixed(4)}`}
    >
      {score.predicted === 'anomalous' ? '✗' : '✓'} {score.score.toFixed(2)}
    </span>
  );
}
