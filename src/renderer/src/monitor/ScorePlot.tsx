// The recent scores in the order the parts came, coloured by their outcome, with the version's two line thresholds:
// below the lower one parts pass, above the upper one they are rejected, between them a person looks.
import { Box, Typography } from '@mui/material';
import { useMemo } from 'react';
import type uPlot from 'uplot';
import type { MonitorStatus } from '../../../shared/monitor';
import { UPlotChart } from '../models/UPlotChart';

export const OUTCOME_COLOURS = { pass: '#009E73', review: '#E69F00', reject: '#D55E00' } as const;

const dots = (colour: string) => ({ stroke: colour, fill: colour, width: 0, points: { show: true, size: 6, fill: colour }, paths: () => null });

export function ScorePlot({ status }: { status: MonitorStatus }) {
  const data = useMemo<uPlot.AlignedData>(() => {
    const scores = status.scores;
    const x = scores.map((s) => s.n);
    const only = (outcome: string) => scores.map((s) => (s.outcome === outcome ? s.score : null));
    const review = status.thresholds?.review ?? null;
    const reject = status.thresholds?.reject ?? null;
    return [x, only('pass'), only('review'), only('reject'), x.map(() => review), x.map(() => reject)];
  }, [status.scores, status.thresholds]);
  if (status.scores.length === 0) {
    return (
      <Typography color="text.secondary" sx={{ p: 2 }} data-testid="monitor-plot-empty">
        The scores of the parts appear here as they are scored.
      </Typography>
    );
  }
  const format = (_u: uPlot, v: number | null) => (v == null ? '—' : v.toFixed(3));
  return (
    <Box data-testid="monitor-plot">
      <UPlotChart
        height={220}
        structureKey="monitor-scores"
        options={{
          scales: { x: { time: false } },
          axes: [{ label: 'part (in the order scored)' }, { label: 'score' }],
          series: [
            { label: 'part' },
            { label: 'pass', ...dots(OUTCOME_COLOURS.pass), value: format },
            { label: 'review', ...dots(OUTCOME_COLOURS.review), value: format },
            { label: 'reject', ...dots(OUTCOME_COLOURS.reject), value: format },
            { label: 'review threshold', stroke: OUTCOME_COLOURS.review, width: 1.5, dash: [6, 4], points: { show: false }, value: format },
            { label: 'reject threshold', stroke: OUTCOME_COLOURS.reject, width: 1.5, dash: [6, 4], points: { show: false }, value: format },
          ],
        }}
        data={data}
      />
    </Box>
  );
}
