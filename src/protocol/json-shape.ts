/**
 * A linear pre-scan of a frame's JSON text, before JSON.parse: JSON.parse of a 58 KB object of
 * 6,000 keys costs about 7 ms (a 30,000-item array about 4 ms), so a client pipelining such
 * frames could buy seconds of the server's CPU with each TCP read (FRAME-8). Every RAN/1 object
 * has a fixed, small set of members and every list a schema maximum, so text beyond these
 * bounds cannot be a valid frame: refusing it unparsed answers exactly what the schema would
 * (bad-frame, FRAME-3), at the cost of one pass over the bytes.
 */

/** Bounds on the shape of a frame's JSON, each well above what schemas/frame.schema.json allows. */
export const JSON_SHAPE_LIMITS = Object.freeze({
  /** The largest RAN/1 object has about a dozen members. */
  maxMembers: 64,
  /** sync:A `msgs` allows 10,000 items; nothing else in a frame is longer than 32. */
  maxItems: 10_000,
  /** A frame nests three levels (frame → msgs → message); deep text only costs time. */
  maxDepth: 16,
});

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * Shorter texts are not scanned: 64 members take at least 325 bytes (`"":0,` each), and nesting
 * or lists within 320 bytes cost JSON.parse nothing worth saving. Most frames are this short.
 */
const SCAN_FROM_BYTES = 320;

/**
 * Why `text` cannot be a RAN/1 frame by its shape alone, or undefined. Scans UTF-8 bytes (the
 * structural characters are ASCII, never part of a multi-byte character); malformed JSON is left to JSON.parse, which words it better.
 */
export function jsonShapeProblem(text: Uint8Array | string): string | undefined {
  if (text.length < SCAN_FROM_BYTES) return undefined;
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  // counts[d]: members (objects) or separators (arrays) so far at depth d; objects[d]: which.
  const counts: number[] = [];
  const objects: boolean[] = [];
  let depth = 0;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const c = bytes[i]!;
    switch (c) {
      case QUOTE:
        // Skip the string: a backslash escapes the byte after it.
        for (i++; i < length; i++) {
          const d = bytes[i]!;
          if (d === QUOTE) break;
          if (d === BACKSLASH) i++;
        }
        break;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (++depth > JSON_SHAPE_LIMITS.maxDepth) {
          return `frame nests deeper than ${JSON_SHAPE_LIMITS.maxDepth} levels; RAN/1 frames nest 3`;
        }
        counts[depth] = 0;
        objects[depth] = c === OPEN_OBJECT;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (depth > 0) depth--;
        break;
      case COLON:
        if (depth > 0 && objects[depth] && ++counts[depth]! > JSON_SHAPE_LIMITS.maxMembers) {
          return `frame has an object of more than ${JSON_SHAPE_LIMITS.maxMembers} members; RAN/1 objects have a dozen at most`;
        }
        break;
      case COMMA:
        // n commas: n + 1 items.
        if (depth > 0 && !objects[depth] && ++counts[depth]! >= JSON_SHAPE_LIMITS.maxItems) {
          return `frame has a list of more than ${JSON_SHAPE_LIMITS.maxItems} items; the longest RAN/1 list (sync:A msgs) allows ${JSON_SHAPE_LIMITS.maxItems}`;
        }
        break;
    }
  }
  return undefined;
}
