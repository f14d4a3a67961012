/**
 * The head of a text that is too long to keep, for the places that bound what a hostile peer's
 * text costs (findings, invalid frames in the history).
 */

/**
 * The first `max` UTF-16 units of `text` (one fewer rather than half a surrogate pair: half an
 * emoji is not valid text in JSON or XML reports), as a copy: a slice would keep the whole long
 * text alive for as long as the head lives.
 */
export function headOf(text: string, max: number): string {
  let head = text.slice(0, max);
  if (/[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  return Buffer.from(head, 'utf16le').toString('utf16le');
}
