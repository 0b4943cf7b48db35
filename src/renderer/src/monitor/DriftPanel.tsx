// The drift monitor's verdict in the line's terms: which statistic, at which alarm level, on how many recent good
// parts and validation images it stands, and what it concluded.
import { Alert, Card, CardContent, Table, TableBody, TableCell, TableRow, Typography } from '@mui/material';
import type { DriftView } from '../../../shared/deploy';

const shown = (v: number | null | undefined, digits = 3) => (v == null || !Number.isFinite(v) ? '—' : v < 1e-4 && v > 0 ? v.toExponential(1) : v.toFixed(digits));

export function DriftPanel({ drift }: { drift: DriftView | null }) {
  return (
    <Card variant="outlined" data-testid="monitor-drift">
      <CardContent>
        <Typography variant="subtitle1">Drift</Typography>
        {!drift ? (
          <Typography variant="body2" color="text.secondary">
            Judged once watching starts: the scores of the parts passed lately against those of the version&apos;s good validation images.
          </Typography>
        ) : (
          <>
            <Alert severity={drift.warn ? 'warning' : drift.enoughData ? 'success' : 'info'} sx={{ my: 1 }} data-testid="monitor-drift-verdict">
              {drift.message}
              {drift.referenceCount === 0 && ' This version has no good validation images scored: give it a validation split of at least 30 good images and evaluate it.'}
            </Alert>
            <Table size="small">
              <TableBody>
                <TableRow>
                  <TableCell>Test</TableCell>
                  <TableCell>two-sample Kolmogorov–Smirnov, passed parts against good validation images</TableCell>
                </TableRow>
                <TableRow>
                  <TableCell>Statistic D</TableCell>
                  <TableCell data-testid="monitor-drift-statistic">{shown(drift.statistic)}</TableCell>
                </TableRow>
                <TableRow>
                  <TableCell>p-value</TableCell>
                  <TableCell>
                    {shown(drift.pValue, 4)} (alarm below {drift.alpha})
                  </TableCell>
                </TableRow>
                <TableRow>
                  <TableCell>Stands on</TableCell>
                  <TableCell data-testid="monitor-drift-counts">
                    {drift.recentCount} recent passed parts (window {drift.window}) and {drift.referenceCount} good validation images
                  </TableCell>
                </TableRow>
                <TableRow>
                  <TableCell>Median shift</TableCell>
                  <TableCell>{shown(drift.medianShift)}</TableCell>
                </TableRow>
              </TableBody>
            </Table>
            <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 1 }}>
              The scores of good parts move before the defect rate does: a warning means the camera, the lighting or the material may have changed.
            </Typography>
          </>
        )}
      </CardContent>
    </Card>
  );
}
