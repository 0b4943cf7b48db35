// The supervision regime in the words of the line: what the current labels will teach the model, said before it
// trains, from the counts the service reports.
import type { SnapshotCounts, SupervisionRegime } from '../../../shared/models';

export function regimeSentence(regime: SupervisionRegime, counts: SnapshotCounts): string {
  const { normal, weak, full } = counts.train;
  const n = `${normal} normal training image${normal === 1 ? '' : 's'}`;
  switch (regime) {
    case 'unsupervised':
      return `Unsupervised: the model learns what good parts look like from ${n} only, and flags whatever differs. No defect label is used.`;
    case 'weakly supervised':
      return `Weakly supervised: ${n} plus ${weak} anomalous image${weak === 1 ? '' : 's'} labelled at image level only. The weak labels sharpen the good/bad decision; they do not teach where defects are.`;
    case 'fully supervised':
      return `Fully supervised: ${n} plus ${full} anomalous image${full === 1 ? '' : 's'} with pixel masks. The masks teach both the decision and where defects are.`;
    case 'mixed supervision':
      return `Mixed supervision: ${n}, ${weak} anomalous image${weak === 1 ? '' : 's'} labelled at image level (decision only) and ${full} with pixel masks (decision and location).`;
  }
}

/** A model input size for the project's images: 256 on the short side, the aspect kept in steps of 32 (≤ 640). */
export function defaultSize(images: readonly { width: number; height: number }[]): { height: number; width: number } {
  if (images.length === 0) return { height: 256, width: 256 };
  const aspects = images.map((i) => i.width / i.height).sort((a, b) => a - b);
  const aspect = aspects[Math.floor(aspects.length / 2)]!;
  const snap = (v: number) => Math.min(640, Math.max(64, Math.round(v / 32) * 32));
  return aspect >= 1 ? { height: 256, width: snap(256 * aspect) } : { height: snap(256 / aspect), width: 256 };
}

export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
