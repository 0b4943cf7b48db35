// What the deploy services hand the UI: a version's line thresholds with what validation promised, the result of
// an export, and the drift monitor's verdict.

export interface RateView {
  rate: number;
  low: number;
  high: number;
  count: number;
  of: number;
}

export interface OutcomeRatesView {
  pass: RateView;
  review: RateView;
  reject: RateView;
}

export interface LineThresholdsView {
  versionId: number;
  review: number;
  reject: number;
  pixel: number;
  /** 'normal-only': validation had no defective image; only the false-reject rate could be promised. */
  basis: 'good-and-bad' | 'normal-only';
  targets: { maxMissRate: number; maxFalseRejectRate: number };
  promised: { good: OutcomeRatesView; bad: OutcomeRatesView | null };
  goodImages: number;
  badImages: number;
  /** Plain sentences for the user (how the thresholds were set; the normal-only case says so). */
  notes: string[];
  derivedAt: string;
  editedAt: string | null;
}

export interface ExportResultView {
  file: string;
  metadataFile: string;
  goldenDir: string;
  versionId: number;
  bytes: number;
  thresholds: { review: number; reject: number; pixel: number; basis: string; derivedNow: boolean };
  parity: { maxScoreDiff: number; maxMapDiff: number; images: number; tolerance: number };
}

export interface DriftView {
  versionId: number;
  warn: boolean;
  enoughData: boolean;
  pValue: number;
  statistic: number;
  alpha: number;
  window: number;
  recentCount: number;
  referenceCount: number;
  medianShift: number;
  cutAt: number | null;
  message: string;
}
