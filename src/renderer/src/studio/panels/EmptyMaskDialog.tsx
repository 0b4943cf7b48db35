// Erasing the last defect pixel: the image either stays anomalous without a mask (weak) or becomes normal.
import { Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle } from '@mui/material';

export function EmptyMaskDialog({ open, onAnswer }: { open: boolean; onAnswer(choice: 'weak' | 'normal' | null): void }) {
  return (
    <Dialog
      open={open}
      onClose={() => onAnswer(null)}
      onKeyDown={(e) => {
        if (e.key === 'w') onAnswer('weak');
        if (e.key === 'n') onAnswer('normal');
      }}
      data-testid="empty-mask-dialog"
    >
      <DialogTitle>The mask is now empty</DialogTitle>
      <DialogContent>
        <DialogContentText>
          No defect pixel is left on this image. Is it still anomalous, with an image-level label only (weak), or is it normal?
        </DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={() => onAnswer(null)}>Undo the erase (Esc)</Button>
        <Button color="warning" onClick={() => onAnswer('weak')} data-testid="empty-weak">
          Weak: anomalous, no mask (W)
        </Button>
        <Button color="success" onClick={() => onAnswer('normal')} data-testid="empty-normal">
          Normal (N)
        </Button>
      </DialogActions>
    </Dialog>
  );
}
