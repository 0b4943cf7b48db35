// Asked before an image-level label would drop a pixel mask: nothing drawn is lost to one key.
import { Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle } from '@mui/material';
import { useEffect, useState } from 'react';
import { labelSession, type DropMaskQuestion } from '../session/labelSession';

export function DropMaskDialog() {
  const [question, setQuestion] = useState<DropMaskQuestion | null>(null);
  useEffect(() => labelSession.onQuestion(setQuestion), []);
  return (
    <Dialog open={question !== null} onClose={() => question?.answer(false)} data-testid="drop-mask-dialog">
      <DialogTitle>Drop the pixel mask?</DialogTitle>
      <DialogContent>
        <DialogContentText>
          {question?.imageName} has a pixel mask. Labelling it {question?.state} removes the mask from its current label. The mask stays in the
          image's label history: Ctrl+Z or the history panel brings it back.
        </DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button autoFocus onClick={() => question?.answer(false)} data-testid="keep-mask">
          Keep the mask (Esc)
        </Button>
        <Button color="warning" onClick={() => question?.answer(true)} data-testid="drop-mask">
          Label {question?.state} and drop the mask
        </Button>
      </DialogActions>
    </Dialog>
  );
}
