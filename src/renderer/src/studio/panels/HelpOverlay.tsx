// Every shortcut, generated from the command lists (workspace and studio) and the pointer gestures.
import { Dialog, DialogContent, DialogTitle, Table, TableBody, TableCell, TableRow, Typography } from '@mui/material';
import { WORKSPACE_COMMANDS } from '../../commands/workspaceCommands';
import { displayKey, STUDIO_COMMANDS, STUDIO_GESTURES } from '../studioCommands';

export function HelpOverlay({ open, onClose }: { open: boolean; onClose(): void }) {
  const rows: [string, string][] = [
    ...WORKSPACE_COMMANDS.map((c): [string, string] => [c.keys.map(displayKey).join(' / '), `${c.label} (${c.when.join(', ')})`]),
    ...STUDIO_COMMANDS.map((c): [string, string] => [c.keys.map(displayKey).join(' / '), c.label]),
    ...STUDIO_GESTURES,
  ];
  return (
    <Dialog open={open} onClose={onClose} maxWidth="md" fullWidth data-testid="help-overlay">
      <DialogTitle>Keyboard shortcuts</DialogTitle>
      <DialogContent>
        <Table size="small">
          <TableBody>
            {rows.map(([keys, label]) => (
              <TableRow key={`${keys}:${label}`}>
                <TableCell sx={{ width: 220 }}>
                  <Typography variant="body2" sx={{ fontFamily: 'monospace' }}>{keys}</Typography>
                </TableCell>
                <TableCell>{label}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </DialogContent>
    </Dialog>
  );
}
