// The model's side of the app in one full-screen dialog: Training (start, watch, cancel, resume), Versions (list,
// active, compare, delete), Evaluation and Deploy (thresholds and export) of the version opened from the list, and
// Review (the ranked queue). Images open in the workspace's viewer through onOpenImage.
import { Alert, AppBar, Box, Dialog, IconButton, Snackbar, Tab, Tabs, Toolbar, Typography } from '@mui/material';
import { useState } from 'react';
import { ReviewQueue } from '../review/ReviewQueue';
import { TrainingPanel } from '../training/TrainingPanel';
import { DeployPanel } from './DeployPanel';
import { EvaluationView } from './EvaluationView';
import { VersionsPanel } from './VersionsPanel';

export type ModelTab = 'training' | 'versions' | 'evaluation' | 'deploy' | 'review';

export function ModelDialog({ open, onClose, onOpenImage }: { open: boolean; onClose(): void; onOpenImage(imageId: number): void }) {
  const [tab, setTab] = useState<ModelTab>('training');
  const [evaluated, setEvaluated] = useState<number | null>(null);
  const [deployed, setDeployed] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const openImage = (imageId: number) => {
    onClose();
    onOpenImage(imageId);
  };
  return (
    <Dialog fullScreen open={open} onClose={onClose} data-testid="model-dialog">
      <AppBar position="static" color="default" elevation={1}>
        <Toolbar variant="dense" sx={{ gap: 2 }}>
          <Typography variant="h6">Model</Typography>
          <Tabs value={tab} onChange={(_e, v: ModelTab) => setTab(v)} sx={{ flex: 1 }}>
            <Tab value="training" label="Training" data-testid="tab-training" />
            <Tab value="versions" label="Versions" data-testid="tab-versions" />
            <Tab value="evaluation" label={evaluated ? `Evaluation of v${evaluated}` : 'Evaluation'} disabled={evaluated === null} data-testid="tab-evaluation" />
            <Tab value="deploy" label={deployed ? `Deploy v${deployed}` : 'Deploy'} disabled={deployed === null} data-testid="tab-deploy" />
            <Tab value="review" label="Review queue" data-testid="tab-review" />
          </Tabs>
          <IconButton onClick={onClose} aria-label="close" data-testid="model-close">
            ✕
          </IconButton>
        </Toolbar>
      </AppBar>
      <Box sx={{ flex: 1, minHeight: 0, overflowY: tab === 'review' ? 'hidden' : 'auto' }}>
        {tab === 'training' && <TrainingPanel onError={setError} />}
        {tab === 'versions' && (
          <VersionsPanel
            onError={setError}
            onOpenEvaluation={(id) => {
              setEvaluated(id);
              setTab('evaluation');
            }}
            onOpenDeploy={(id) => {
              setDeployed(id);
              setTab('deploy');
            }}
            onDeleted={(id) => {
              if (evaluated === id) setEvaluated(null);
              if (deployed === id) setDeployed(null);
            }}
          />
        )}
        {tab === 'evaluation' && evaluated !== null && <EvaluationView versionId={evaluated} onOpenImage={openImage} />}
        {tab === 'deploy' && deployed !== null && <DeployPanel versionId={deployed} onError={setError} />}
        {tab === 'review' && <ReviewQueue onError={setError} onRetrained={() => setTab('training')} />}
      </Box>
      <Snackbar open={error !== null} autoHideDuration={8000} onClose={() => setError(null)}>
        <Alert severity="error" onClose={() => setError(null)} data-testid="model-error">
          {error}
        </Alert>
      </Snackbar>
    </Dialog>
  );
}
