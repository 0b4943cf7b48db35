// The images around the open one, in the grid's order and with the grid's filters, as a strip under the viewer.
import { Box } from '@mui/material';
import type { ImageSummary } from '../../../../shared/api';
import { api } from '../../api/transport';
import { KindBadge } from './KindBadge';

const AROUND = 8;
const SIZE = 64;

export function Filmstrip({ items, index, onSelect }: { items: readonly ImageSummary[]; index: number; onSelect(index: number): void }) {
  const from = Math.max(0, Math.min(index - AROUND, items.length - 2 * AROUND - 1));
  const shown = items.slice(from, from + 2 * AROUND + 1);
  return (
    <Box sx={{ display: 'flex', gap: 0.5, p: 0.5, justifyContent: 'center', borderTop: 1, borderColor: 'divider', bgcolor: '#111' }} data-testid="filmstrip">
      {shown.map((image, k) => {
        const at = from + k;
        return (
          <Box
            key={image.id}
            title={image.name}
            onClick={() => onSelect(at)}
            data-film-id={image.id}
            sx={{ position: 'relative', width: SIZE, height: SIZE, flex: 'none', cursor: 'pointer', outline: at === index ? '2px solid #1976d2' : 'none', '& > span': { transform: 'scale(0.75)', transformOrigin: 'top left', top: 2, left: 2 } }}
          >
            <img src={api.fileUrl('thumbnail', image.sha256)} alt={image.name} loading="lazy" draggable={false} style={{ width: '100%', height: '100%', objectFit: 'cover', display: 'block' }} />
            <KindBadge image={image} />
          </Box>
        );
      })}
    </Box>
  );
}
