import { MenuItem, Stack, TextField } from '@mui/material';
import type { ImageFilter } from '../../../shared/api';
import { LABEL_STATES, SPLITS } from '../../../shared/domain';
import { GRID_ORDERS, type GridOrder } from './gridOrder';

const ALL = 'all';

export function Filters(props: { filter: ImageFilter; classes: readonly string[]; onChange(filter: ImageFilter): void; order: GridOrder; onOrder(order: GridOrder): void; scored: boolean }) {
  const { filter, classes, onChange, order, onOrder, scored } = props;
  const set = (key: keyof ImageFilter, value: string) => onChange({ ...filter, [key]: value === ALL || value === '' ? undefined : value });
  return (
    <Stack spacing={2}>
      <TextField size="small" label="Search names" value={filter.search ?? ''} onChange={(e) => set('search', e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'filter-search' } }} />
      <TextField
        select
        size="small"
        label="Order"
        value={order}
        onChange={(e) => onOrder(e.target.value as GridOrder)}
        helperText={scored ? undefined : 'score orders once a model has scored the images'}
        slotProps={{ htmlInput: { 'data-testid': 'sort' } }}
      >
        {GRID_ORDERS.map((o) => (
          <MenuItem key={o.value} value={o.value} disabled={o.needsScores && !scored}>{o.label}</MenuItem>
        ))}
      </TextField>
      <TextField select size="small" label="Split" value={filter.split ?? ALL} onChange={(e) => set('split', e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'filter-split' } }}>
        <MenuItem value={ALL}>all splits</MenuItem>
        {SPLITS.map((s) => (
          <MenuItem key={s} value={s}>{s}</MenuItem>
        ))}
      </TextField>
      <TextField select size="small" label="Label" value={filter.labelState ?? ALL} onChange={(e) => set('labelState', e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'filter-label' } }}>
        <MenuItem value={ALL}>any label</MenuItem>
        {LABEL_STATES.map((s) => (
          <MenuItem key={s} value={s}>{s}</MenuItem>
        ))}
      </TextField>
      <TextField select size="small" label="Defect class" value={filter.defectClass ?? ALL} onChange={(e) => set('defectClass', e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'filter-class' } }}>
        <MenuItem value={ALL}>any class</MenuItem>
        {classes.map((c) => (
          <MenuItem key={c} value={c}>{c}</MenuItem>
        ))}
      </TextField>
    </Stack>
  );
}
