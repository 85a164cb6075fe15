/**
 * Values that are no leak even when plaintext: a Flux substitution, a
 * template or empty. (The precision work of #13 owns this module.)
 */

/** A value that is only a Flux substitution, a template or empty is no leak. */
export function isExemptValue(text: string): boolean {
  const t = text.trim();
  return t === "" || /^\$\{[^{}]+\}$/.test(t) || /^\{\{[\s\S]*\}\}$/.test(t);
}
