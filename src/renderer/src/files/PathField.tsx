// A folder path typed or picked: the system's folder dialog in the desktop app, the bridge's folder browser in
// browser mode. "~" works in what is typed; the app resolves it.
import { Box, Button, TextField, type TextFieldProps } from '@mui/material';
import { useState } from 'react';
import { api } from '../api/transport';
import { FolderBrowser } from './FolderBrowser';

export function PathField(props: { label: string; value: string; onChange(value: string): void; testId: string; disabled?: boolean; size?: TextFieldProps['size']; sx?: TextFieldProps['sx'] }) {
  const { label, value, onChange, testId, disabled, size, sx } = props;
  const [browsing, setBrowsing] = useState(false);
  const browse = async () => {
    try {
      const picked = await api.call('dialog.pickFolder', { title: label, ...(value.trim() ? { defaultPath: value } : {}) });
      if (picked.path) onChange(picked.path);
    } catch {
      setBrowsing(true); // no desktop dialog here (browser mode): the bridge's folder browser
    }
  };
  return (
    <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', ...(sx as object) }}>
      <TextField
        fullWidth
        size={size ?? 'small'}
        label={label}
        placeholder="~/path/to/folder"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        disabled={disabled}
        slotProps={{ htmlInput: { 'data-testid': testId } }}
      />
      <Button size="small" variant="outlined" disabled={disabled} onClick={() => void browse()} data-testid={`${testId}-browse`}>
        Browse…
      </Button>
      <FolderBrowser
        open={browsing}
        start={value}
        title={label}
        onClose={() => setBrowsing(false)}
        onPick={(p) => {
          onChange(p);
          setBrowsing(false);
        }}
      />
    </Box>
  );
}
