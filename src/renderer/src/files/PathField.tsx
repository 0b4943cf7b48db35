// A folder path typed or picked: the system's folder dialog in the desktop app, the bridge's folder browser in
// browser mode. With `fileExtensions` a file of those kinds can be picked too (a second button). "~" works in what is
// typed; the app resolves it.
import { Box, Button, TextField, type TextFieldProps } from '@mui/material';
import { useState } from 'react';
import { api } from '../api/transport';
import { FolderBrowser } from './FolderBrowser';

export function PathField(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  testId: string;
  disabled?: boolean;
  size?: TextFieldProps['size'];
  sx?: TextFieldProps['sx'];
  fileExtensions?: string[];
}) {
  const { label, value, onChange, testId, disabled, size, sx, fileExtensions } = props;
  const [browsing, setBrowsing] = useState<'folder' | 'file' | null>(null);
  const browse = async (what: 'folder' | 'file') => {
    const from = value.trim() ? { defaultPath: value } : {};
    try {
      const picked = what === 'file' ? await api.call('dialog.pickFile', { title: label, extensions: fileExtensions!, ...from }) : await api.call('dialog.pickFolder', { title: label, ...from });
      if (picked.path) onChange(picked.path);
    } catch {
      setBrowsing(what); // no desktop dialog here (browser mode): the bridge's folder browser
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
      <Button size="small" variant="outlined" disabled={disabled} onClick={() => void browse('folder')} data-testid={`${testId}-browse`}>
        {fileExtensions ? 'Folder…' : 'Browse…'}
      </Button>
      {fileExtensions && (
        <Button size="small" variant="outlined" disabled={disabled} onClick={() => void browse('file')} data-testid={`${testId}-browse-file`} sx={{ whiteSpace: 'nowrap' }}>
          File…
        </Button>
      )}
      <FolderBrowser
        open={browsing !== null}
        start={value}
        title={label}
        {...(browsing === 'file' ? { fileExtensions } : {})}
        onClose={() => setBrowsing(null)}
        onPick={(p) => {
          onChange(p);
          setBrowsing(null);
        }}
      />
    </Box>
  );
}
