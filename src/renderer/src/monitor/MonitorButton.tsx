// The toolbar's way into the line monitor, showing at a glance whether a folder is being watched (and whether the
// line has drifted) from anywhere in the workspace.
import { Badge, Button } from '@mui/material';
import { useEffect, useState } from 'react';
import { MonitorScreen } from './MonitorScreen';
import { refreshMonitor, useMonitor } from './monitorStore';

export function MonitorButton() {
  const [open, setOpen] = useState(false);
  const status = useMonitor();
  useEffect(() => {
    void refreshMonitor();
  }, []);
  const state = status?.state ?? 'stopped';
  const label = state === 'watching' ? `Line monitor: watching (${status!.counts.scored})` : state === 'unavailable' ? 'Line monitor: folder unavailable' : 'Line monitor';
  return (
    <>
      <Badge color="warning" variant="dot" invisible={!status?.drift?.warn}>
        <Button
          variant="outlined"
          color={state === 'watching' ? 'success' : state === 'stopped' ? 'primary' : 'warning'}
          onClick={() => setOpen(true)}
          data-testid="open-monitor"
        >
          {label}
        </Button>
      </Badge>
      <MonitorScreen open={open} onClose={() => setOpen(false)} />
    </>
  );
}
