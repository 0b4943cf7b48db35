// The sidecar files an export writes beside the masks, and how image-level labels are spelled in CSV and JSON.
import type { LabelState, Split } from '../../shared/domain.js';

export const LABELS_JSON = 'labels.json';
export const LABELS_CSV = 'labels.csv';

/** One image in labels.json (the workbench's own lossless description of an MVTec-layout export). */
export interface ImageLabelEntry {
  file_name: string;
  split?: Split;
  label: LabelState;
  class?: string | null;
  /** Class name → mask file (relative to the export folder), one binary mask per class region. */
  masks?: Record<string, string>;
}

export interface LabelsJson {
  format: 'dwb-labels';
  version: 1;
  classes: { id: number; name: string; color: string }[];
  images: ImageLabelEntry[];
}

const LABEL_WORDS: Record<string, LabelState> = {
  normal: 'normal',
  good: 'normal',
  ok: 'normal',
  anomalous: 'anomalous',
  anomaly: 'anomalous',
  defect: 'anomalous',
  weak: 'anomalous',
  full: 'anomalous',
  ng: 'anomalous',
  unlabeled: 'unlabeled',
  unlabelled: 'unlabeled',
  '': 'unlabeled',
};

export function parseLabelWord(word: string): LabelState | undefined {
  return LABEL_WORDS[word.trim().toLowerCase()];
}

/** A minimal RFC 4180 CSV reader (quoted fields, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(field), (field = ''));
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
