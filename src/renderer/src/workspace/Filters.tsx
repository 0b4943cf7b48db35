import { MenuItem, Stack, TextField } from '@mui/material';
import type { ImageFilter, ImageSort } from '../../../shared/api';
import { LABEL_STATES, SPLITS } from '../../../shared/domain';

const ALL = 'all';

export function Filters(props: { filter: ImageFilter; classes: readonly string[]; onChange(filter: ImageFilter): void; sort: ImageSort; onSort(sort: ImageSort): void }) {
  const { filter, classes, onChange, sort, onSort } = props;
  const set = (key: keyof ImageFilter, value: string) => onChange({ ...filter, [key]: value === ALL || value === '' ? undefined : value });
  return (
    <Stack spacing={2}>
      <TextField size="small" label="Search names" value={filter.search ?? ''} onChange={(e) => set('search', e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'filter-search' } }} />
      <TextField select size="small" label="Order" value={sort} onChange={(e) => onSort(e.target.value as ImageSort)} slotProps={{ htmlInput: { 'data-testid': 'sort' } }}>
        <MenuItem value="imported">import order</MenuItem>
        <MenuItem value="name">name</MenuItem>
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
