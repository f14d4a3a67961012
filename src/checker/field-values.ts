/**
 * Reading a frame's fields, which arrive as unknown JSON: a value of the wanted type, or undefined.
 * One place for the guards every rule uses, so "a number" means the same thing to all of them.
 */

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A finite number: NaN and ±Infinity never come out of JSON, but a field may be anything else. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The seq an ack request acknowledges up to: ack:R's `upTo`, sync:R's `ackUpTo`. */
export function ackUpToOf(
  type: string | undefined,
  fields: Readonly<Record<string, unknown>>,
): number | undefined {
  return type === 'ack:R' ? num(fields['upTo']) : type === 'sync:R' ? num(fields['ackUpTo']) : undefined;
}
