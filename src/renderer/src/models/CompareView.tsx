// Two versions side by side on the same test images: their stored test figures together, and both ROC curves
// redrawn over exactly the images both versions scored with the same label.
import { Box, Card, CardContent, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import type { EvaluationDetail, ModelVersionSummary } from '../../../shared/models';
import { api } from '../api/transport';
import { areaUnderRoc, ascendingXY, curves } from './curves';
import { METRICS, percent } from './metricMeanings';
import { SERIES_COLOURS, UPlotChart } from './UPlotChart';

export function CompareView({ a, b }: { a: ModelVersionSummary; b: ModelVersionSummary }) {
  const [evals, setEvals] = useState<[EvaluationDetail | null, EvaluationDetail | null] | null>(null);
  useEffect(() => {
    void Promise.all([api.call('models.evaluation', { version: a.id }), api.call('models.evaluation', { version: b.id })]).then(setEvals);
  }, [a.id, b.id]);

  const roc = useMemo(() => {
    if (!evals?.[0] || !evals[1]) return null;
    // the same images for both: those both scored and that were labelled when they were scored
    const inB = new Map(evals[1].perImage.map((i) => [i.imageId, i]));
    const shared = evals[0].perImage.filter((i) => i.labelState !== 'unlabeled' && inB.get(i.imageId)?.labelState === i.labelState);
    const ca = curves(shared.map((i) => ({ score: i.score, anomalous: i.labelState === 'anomalous' })));
    const cb = curves(shared.map((i) => ({ score: inB.get(i.imageId)!.score, anomalous: i.labelState === 'anomalous' })));
    const [xa, ya] = ascendingXY(ca.fpr, ca.tpr);
    const [xb, yb] = ascendingXY(cb.fpr, cb.tpr);
    // one x axis for both (uPlot's aligned data): the union of FPRs, each curve stepped at its own points
    const xs = [...new Set([...xa, ...xb])].sort((p, q) => p - q);
    const step = (x: number[], y: number[]) => xs.map((v) => y[Math.max(0, x.findLastIndex((u) => u <= v))]!);
    return { data: [xs, step(xa, ya), step(xb, yb)] as uPlot.AlignedData, images: shared.length, aurocA: areaUnderRoc(ca), aurocB: areaUnderRoc(cb) };
  }, [evals]);

  return (
    <Card variant="outlined" sx={{ mt: 2 }} data-testid="compare-view">
      <CardContent sx={{ display: 'flex', gap: 2 }}>
        <Table size="small" sx={{ flex: 1 }}>
          <TableHead>
            <TableRow>
              <TableCell>Test metric (as stored with each version)</TableCell>
              <TableCell align="right">Version {a.id}</TableCell>
              <TableCell align="right">Version {b.id}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {roc && (
              <TableRow>
                <TableCell>Image AUROC on the {roc.images} shared images</TableCell>
                <TableCell align="right" data-testid="compare-auroc-a">{percent(roc.aurocA)}</TableCell>
                <TableCell align="right" data-testid="compare-auroc-b">{percent(roc.aurocB)}</TableCell>
              </TableRow>
            )}
            {METRICS.map((m) => {
              const va = a.testMetrics?.[m.key] ?? null;
              const vb = b.testMetrics?.[m.key] ?? null;
              return (
                <TableRow key={m.key}>
                  <TableCell>{m.name}</TableCell>
                  <TableCell align="right" sx={{ fontWeight: va !== null && vb !== null && va > vb ? 700 : 400 }}>{percent(va)}</TableCell>
                  <TableCell align="right" sx={{ fontWeight: va !== null && vb !== null && vb > va ? 700 : 400 }}>{percent(vb)}</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <Typography variant="subtitle2">ROC on the {roc?.images ?? 0} test images both scored</Typography>
          {roc && (
            <UPlotChart
              testId="compare-roc"
              height={260}
              structureKey={`${a.id}-${b.id}`}
              data={roc.data}
              options={{
                scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1.02] } },
                axes: [{ label: 'false-positive rate' }, { label: 'true-positive rate' }],
                series: [{ label: 'FPR' }, { label: `version ${a.id}`, stroke: SERIES_COLOURS[0], width: 2 }, { label: `version ${b.id}`, stroke: SERIES_COLOURS[1], width: 2 }],
              }}
            />
          )}
        </Box>
      </CardContent>
    </Card>
  );
}
