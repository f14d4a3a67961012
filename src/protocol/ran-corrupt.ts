/**
 * Pure: how a `corrupt` action spoils a frame's text. `json` breaks the JSON itself (the server
 * must answer `bad-json`, FRAME-2); `schema` keeps valid JSON but breaks the frame schema (the
 * server must answer `bad-frame` naming the member, FRAME-3; a client must flag it, FRAME-4).
 */

import type { CodecRng } from './frame-codec.js';

/**
 * A value no member of any RAN/1 frame allows: every member is a string, number, boolean, array,
 * null (error:A.rid) or the `limits` object, which refuses unknown members.
 */
const SPOILED = { 'imspec-corrupt': true };

export interface Corrupted {
  text: string;
  mode: 'json' | 'schema';
  /** schema mode: the member that was spoiled. */
  field?: string;
}

export function corruptText(
  text: string,
  mode: 'json' | 'schema',
  field: string | undefined,
  rng: CodecRng,
): Corrupted {
  if (mode === 'schema') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      let chosen = field;
      if (chosen === undefined) {
        // `type` stays intact so the frame is still recognisably, say, a msg:A with a bad member.
        const members = Object.keys(obj).filter((k) => k !== 'type');
        chosen = members.length > 0 ? members[rng.int(members.length)]! : 'imspec-corrupt';
      }
      // defineProperty, not assignment: a member named "__proto__" must stay a member.
      Object.defineProperty(obj, chosen, {
        value: SPOILED,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return { text: JSON.stringify(obj), mode, field: chosen };
    }
    // Not a JSON object to begin with: the only corruption left is the JSON kind.
  }
  return { text: text.length > 1 ? text.slice(0, -1) : '{', mode: 'json' };
}
