// Label strength per split and the training regime those labels give, in plain words; follows every change.
import { Box, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import type { ProjectStats } from '../../../../shared/domain';
import { kindCounts, LABEL_KINDS, SPLITS, trainingRegime } from '../../../../shared/labels';
import { KIND_COLORS, KIND_HELP } from '../labelKind';

export function LabelKindPanel({ stats }: { stats: ProjectStats }) {
  const regime = trainingRegime(stats);
  return (
    <Box data-testid="label-kinds">
      <Table size="small" data-testid="counters" sx={{ '& td, & th': { px: 1, py: 0.25 } }}>
        <TableHead>
          <TableRow>
            <TableCell />
            {LABEL_KINDS.map((k) => (
              <TableCell key={k} align="right" title={KIND_HELP[k]} sx={{ color: KIND_COLORS[k], fontWeight: 600 }}>
                {k === 'unlabeled' ? 'unlab.' : k}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {SPLITS.map((split) => {
            const counts = kindCounts(stats, split);
            return (
              <TableRow key={split} data-testid={`counts-${split}`}>
                <TableCell component="th">{split}</TableCell>
                {LABEL_KINDS.map((k) => (
                  <TableCell key={k} align="right" data-testid={`count-${split}-${k}`}>
                    {counts[k]}
                  </TableCell>
                ))}
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
      <Typography variant="body2" sx={{ mt: 1 }} data-testid="regime" data-regime={regime.regime}>
        {regime.text}
      </Typography>
    </Box>
  );
}
