// The page's Content-Security-Policy, the same in both shells: everything the renderer loads — scripts, styles,
// thumbnails, originals and masks — comes from its own origin (http://127.0.0.1:<port> in browser mode,
// dwb://app in the desktop app), so 'self' covers all of it and pictures drawn on a canvas never taint it.
// blob: and data: stay allowed for images made in the page (canvas exports, MUI's inline icons).
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** As an HTTP header, where frame-ancestors also works (a <meta> policy ignores it). */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;
