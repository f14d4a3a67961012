/**
 * Text of a run as a reader of a certification wants it: without the runner's per-case user
 * prefix (`<run id>-<case index>-<repetition>-`, see runSuites), which says nothing to a reader
 * and changes every run. Pure.
 */

const RUN_USER_PREFIX = /\d{14}-[0-9a-f]{6}-\d+-\d+-(m[0-9a-f]+-)?/g;

export function withoutRunPrefix(text: string): string {
  return text.replace(RUN_USER_PREFIX, '');
}

/**
 * Replaces each key of `display` by its value (run-specific text by the document's), where it
 * stands as a whole token: a port 41234 is replaced in "127.0.0.1:41234" and "listener 41234",
 * not inside "141234" or "0.41234".
 */
export function displayed(text: string, display: Readonly<Record<string, string>>): string {
  let out = text;
  // Longest first, so a dir is replaced before a port that is part of it.
  for (const from of Object.keys(display).sort((a, b) => b.length - a.length)) {
    const token = new RegExp(`(?<![\\w.-])${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'g');
    out = out.replace(token, () => display[from]!);
  }
  return out;
}
