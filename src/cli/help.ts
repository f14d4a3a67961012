/**
 * Help text layout. Command descriptions are written in the source as paragraphs broken at about
 * 100 columns; commander wraps them again to the terminal's width, which left ragged lines
 * ("…whether every message was" / "delivered exactly once"). So the source's line breaks inside
 * a paragraph are joined before commander wraps: a blank line still ends a paragraph, and a line
 * that starts with a space or a list marker keeps its own line.
 */

/** Joins the lines of each paragraph of `text` into one, for the help formatter to wrap. */
export function unwrapParagraphs(text: string): string {
  return text.replace(/([^\n])\n(?=[^\s\-*•$|])/g, '$1 ');
}
