// The studio's toolbar: tools, sizes, the class the next stroke paints (with create, rename, recolour, merge),
// undo/redo, and the display window. Every button's tooltip names its key.
import { Box, Button, ButtonGroup, IconButton, MenuItem, Slider, Stack, TextField, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import type { DefectClass } from '../../../../shared/labels';
import { api } from '../../api/transport';
import { DEFAULT_WINDOW, type DisplayWindow } from '../displayWindow';
import type { ToolId, ToolSettings } from '../scene/tools';
import { shortcutOf, type StudioActions } from '../studioCommands';
import { ClassDialog } from './ClassDialog';

const TOOLS: { id: ToolId; label: string; command: string }[] = [
  { id: 'brush', label: 'Brush', command: 'tool.brush' },
  { id: 'eraser', label: 'Eraser', command: 'tool.eraser' },
  { id: 'polygon', label: 'Polygon', command: 'tool.polygon' },
  { id: 'fill', label: 'Fill', command: 'tool.fill' },
];

export function StudioToolbar(props: {
  settings: ToolSettings;
  onSettings(s: ToolSettings): void;
  classes: DefectClass[];
  classId: number | null;
  onClassesChanged(): Promise<unknown>;
  windowing: DisplayWindow;
  onWindowing(w: DisplayWindow): void;
  canUndo: boolean;
  canRedo: boolean;
  actions: StudioActions;
}) {
  const { settings, onSettings, classes, classId, windowing, onWindowing, actions } = props;
  const [classDialog, setClassDialog] = useState(false);
  const size = settings.tool === 'eraser' ? settings.eraserSize : settings.brushSize;
  const tip = (label: string, command: string) => `${label} (${shortcutOf(command)})`;
  return (
    <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center', px: 1, py: 0.5, borderBottom: 1, borderColor: 'divider', flexWrap: 'wrap' }} data-testid="studio-toolbar">
      <ButtonGroup size="small" aria-label="tools">
        {TOOLS.map((t) => (
          <Tooltip key={t.id} title={tip(t.label, t.command)}>
            <Button variant={settings.tool === t.id ? 'contained' : 'outlined'} onClick={() => onSettings({ ...settings, tool: t.id })} data-testid={`tool-${t.id}`}>
              {t.label}
            </Button>
          </Tooltip>
        ))}
      </ButtonGroup>
      <Tooltip title={`${settings.tool === 'eraser' ? 'Eraser' : 'Brush'} diameter in image pixels (${shortcutOf('size.down')} smaller, ${shortcutOf('size.up')} larger)`}>
        <Typography variant="caption" sx={{ minWidth: 64 }} data-testid="tool-size">
          {size} px
        </Typography>
      </Tooltip>
      <Tooltip title={`Class of the next stroke (${shortcutOf('class.next')} next, ${shortcutOf('class.previous')} previous)`}>
        <TextField
          select
          size="small"
          label="Class"
          value={classId ?? ''}
          onChange={(e) => onSettings({ ...settings, classId: Number(e.target.value) })}
          sx={{ minWidth: 150 }}
          slotProps={{ htmlInput: { 'data-testid': 'studio-class' } }}
        >
          {classes.map((c) => (
            <MenuItem key={c.id} value={c.id}>
              <Box component="span" sx={{ display: 'inline-block', width: 12, height: 12, bgcolor: c.color, mr: 1, borderRadius: '2px' }} />
              {c.name}
            </MenuItem>
          ))}
        </TextField>
      </Tooltip>
      <Button size="small" onClick={() => setClassDialog(true)} data-testid="edit-classes">
        Classes…
      </Button>
      <ButtonGroup size="small" aria-label="history">
        <Tooltip title={tip('Undo', 'edit.undo')}>
          <span>
            <Button disabled={!props.canUndo} onClick={actions.undo} data-testid="undo">Undo</Button>
          </span>
        </Tooltip>
        <Tooltip title={tip('Redo', 'edit.redo')}>
          <span>
            <Button disabled={!props.canRedo} onClick={actions.redo} data-testid="redo">Redo</Button>
          </span>
        </Tooltip>
      </ButtonGroup>
      <Tooltip title={tip('Clear the mask', 'mask.clear')}>
        <Button size="small" color="warning" onClick={actions.clear}>Clear</Button>
      </Tooltip>
      <Tooltip title={`Display window: brightness (${shortcutOf('view.darker')} / ${shortcutOf('view.brighter')}); only how the image is shown`}>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center', width: 150 }}>
          <Typography variant="caption">Level</Typography>
          <Slider size="small" min={0} max={255} value={255 - windowing.level} onChange={(_, v) => onWindowing({ ...windowing, level: 255 - (v as number) })} aria-label="display level" />
        </Stack>
      </Tooltip>
      <Tooltip title={`Display window: contrast (${shortcutOf('view.lessContrast')} / ${shortcutOf('view.moreContrast')}), reset ${shortcutOf('view.resetWindow')}`}>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center', width: 150 }}>
          <Typography variant="caption">Contrast</Typography>
          <Slider size="small" min={0} max={6} step={0.05} value={Math.log2(255 / windowing.width) + 2} onChange={(_, v) => onWindowing({ ...windowing, width: 255 / 2 ** ((v as number) - 2) })} aria-label="display contrast" />
        </Stack>
      </Tooltip>
      {(windowing.level !== DEFAULT_WINDOW.level || windowing.width !== DEFAULT_WINDOW.width) && (
        <Button size="small" onClick={actions.resetWindow}>Reset view (R)</Button>
      )}
      <Tooltip title={tip('Label history', 'view.history')}>
        <Button size="small" onClick={actions.toggleHistory} data-testid="toggle-history">History</Button>
      </Tooltip>
      <Tooltip title={tip('Keyboard shortcuts', 'help')}>
        <IconButton size="small" onClick={actions.toggleHelp} data-testid="toggle-help">?</IconButton>
      </Tooltip>
      <ClassDialog open={classDialog} classes={classes} onClose={() => setClassDialog(false)} onChanged={props.onClassesChanged} api={api} />
    </Stack>
  );
}
