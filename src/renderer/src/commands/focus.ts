// Keys go to one place: a focused control that takes keys itself (a text field, a select, an open menu, a dialog)
// keeps them, and only when none has focus do the workspace shortcuts act.
const TAKES_KEYS = [
  'input',
  'textarea',
  'select',
  '[contenteditable]:not([contenteditable="false"])',
  '[role="combobox"]',
  '[role="listbox"]',
  '[role="option"]',
  '[role="menu"]',
  '[role="menuitem"]',
  '[role="dialog"]',
  '[role="slider"]',
  '[role="spinbutton"]',
  '[role="textbox"]',
].join(', ');

/** Keys a focused button or link acts on itself. */
const ACTIVATION_KEYS = new Set(['Enter', ' ']);

export function focusTakesKey(focused: Element | null, key: string): boolean {
  if (!focused || focused === focused.ownerDocument?.body) return false;
  if (focused.closest(TAKES_KEYS)) return true;
  return ACTIVATION_KEYS.has(key) && focused.closest('button, a[href], [role="button"]') !== null;
}
