// Per defect class: each class's anomalous images against every normal image of the split, so a defect type the
// model misses (or only outlines) stands out instead of vanishing into the average.
import { Card, CardContent, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import type { ClassMetrics } from '../../../shared/models';
import { percent } from './metricMeanings';

export function ClassMetricsTable({ classes, normal }: { classes: readonly ClassMetrics[]; normal: number }) {
  const numeric = { textAlign: 'right' as const };
  return (
    <Card variant="outlined" data-testid="class-metrics">
      <CardContent>
        <Typography variant="subtitle2" gutterBottom>
          Per defect class, each against all {normal} normal images
        </Typography>
        <Table size="small">
          <TableHead>
            <TableRow>
              <TableCell>Defect class</TableCell>
              <TableCell sx={numeric}>Images</TableCell>
              <TableCell sx={numeric}>With masks</TableCell>
              <TableCell sx={numeric}>Image AUROC</TableCell>
              <TableCell sx={numeric}>Image AP</TableCell>
              <TableCell sx={numeric}>Pixel AUROC</TableCell>
              <TableCell sx={numeric}>AUPRO</TableCell>
              <TableCell sx={numeric}>Pixel AP</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {classes.map((c) => (
              <TableRow key={c.defectClass ?? ''} data-testid="class-metrics-row">
                <TableCell>{c.defectClass ?? '(no class)'}</TableCell>
                <TableCell sx={numeric}>{c.anomalous}</TableCell>
                <TableCell sx={numeric}>{c.masks}</TableCell>
                <TableCell sx={numeric}>{percent(c.image_auroc)}</TableCell>
                <TableCell sx={numeric}>{percent(c.image_ap)}</TableCell>
                <TableCell sx={numeric}>{percent(c.pixel_auroc)}</TableCell>
                <TableCell sx={numeric}>{percent(c.aupro)}</TableCell>
                <TableCell sx={numeric}>{percent(c.pixel_ap)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}
