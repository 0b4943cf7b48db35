// Labels per kind and split, always in view.
import { Table, TableBody, TableCell, TableHead, TableRow } from '@mui/material';
import { SPLITS, type ProjectStats } from '../../../shared/domain';

export function Counters({ stats }: { stats: ProjectStats }) {
  return (
    <Table size="small" data-testid="counters" sx={{ '& td, & th': { px: 1, py: 0.25 } }}>
      <TableHead>
        <TableRow>
          <TableCell />
          <TableCell align="right">normal</TableCell>
          <TableCell align="right" title="anomalous">anom.</TableCell>
          <TableCell align="right">masks</TableCell>
          <TableCell align="right" title="unlabeled">unlab.</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {SPLITS.map((split) => (
          <TableRow key={split} data-testid={`counts-${split}`}>
            <TableCell component="th">{split}</TableCell>
            <TableCell align="right">{stats.splits[split].normal}</TableCell>
            <TableCell align="right">{stats.splits[split].anomalous}</TableCell>
            <TableCell align="right">{stats.splits[split].masks}</TableCell>
            <TableCell align="right">{stats.splits[split].unlabeled}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
