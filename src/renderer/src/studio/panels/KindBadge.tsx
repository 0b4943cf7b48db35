// The label strength of one image as a small badge on its thumbnail.
import { Box } from '@mui/material';
import type { ImageSummary } from '../../../../shared/api';
import { KIND_COLORS, KIND_HELP, kindOfSummary } from '../labelKind';

export function KindBadge({ image }: { image: Pick<ImageSummary, 'labelState' | 'hasMask'> }) {
  const kind = kindOfSummary(image);
  return (
    <Box
      component="span"
      title={`${kind}: ${KIND_HELP[kind]}`}
      data-testid="kind-badge"
      sx={{ position: 'absolute', top: 6, left: 6, px: 0.75, borderRadius: 1, fontSize: 11, lineHeight: '18px', color: '#fff', bgcolor: KIND_COLORS[kind], opacity: kind === 'unlabeled' ? 0.7 : 0.95 }}
    >
      {kind}
    </Box>
  );
}
