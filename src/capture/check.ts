/**
 * `imspec check`, as a function: read a capture line by line, turn it into a history
 * (to-history.ts), and judge it with the checker — the rules, requirement ids, evidence and
 * reports of a run, with nothing sent to anyone. Lines are checked against
 * schemas/capture.schema.json as they are read; a bad one stops the check with its file:line.
 */

import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import captureSchema from '../../schemas/capture.schema.json' with { type: 'json' };
import { check } from '../checker/index.js';
import { ConfigError } from '../errors.js';
import { History } from '../history/events.js';
import type { FrameCodec } from '../protocol/frame-codec.js';
import type { Cap } from '../protocol/frames.js';
import { buildCaseResult } from '../report/case-result.js';
import type { CaseResult } from '../report/types.js';
import { CaptureConverter, type CaptureSummary } from './to-history.js';
import type { CaptureClose, CaptureFrame, CaptureHeader } from './types.js';

const ajv = new Ajv2020({ allErrors: false, strict: false });
ajv.addSchema(captureSchema);
const part = (name: string): ValidateFunction => ajv.compile({ $ref: `${captureSchema.$id}#/$defs/${name}` });
const validators = { capture: part('header'), frame: part('frame'), close: part('close') };

export interface CheckCaptureOptions {
  /** Decodes frames given as `bytes` (a driver's frame codec). */
  codec?: FrameCodec;
  /** The capabilities the server claims. @default the header's, else what hello:A frames claimed */
  caps?: readonly Cap[];
  /**
   * The capture holds only some connections of its users (one gateway of several): no user is
   * taken as offline for lack of a connection in it (RCPT-1, OFF-1 and loss are judged only for
   * users the header lists). @default false: every user seen logging in is fully captured
   */
  partial?: boolean;
  /** Called with the history before the first event (metrics subscribe here). */
  onHistory?: (history: History, scenario: { id: string; suite: string }) => void;
}

export interface CaptureCheck {
  result: CaseResult;
  summary: CaptureSummary;
  /** Capabilities the check assumed. */
  caps: Cap[];
  /** Users judged as fully captured. */
  users: Record<string, string[]>;
}

/**
 * Throws ConfigError when `file` cannot be a capture: missing, or a directory. `imspec check`
 * asks this of every file before judging the first, so a typo is said once, before any work.
 */
export function assertCaptureFile(file: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT' ? `capture ${file} not found` : `capture ${file}: ${(error as Error).message}`,
    );
  }
  if (!isFile) {
    throw new ConfigError(`capture ${file} is not a file: give the capture files (${file}/*.jsonl)`);
  }
}

/** What an empty capture's INCONCLUSIVE verdict says: nothing was there to judge. */
export const NO_FRAMES = 'the capture holds no frames';

/**
 * Checks one capture file. Throws ConfigError (file:line) for a line that is not a capture line.
 * A capture without frames (empty, or a header alone) judges nothing: INCONCLUSIVE, never PASS.
 */
export async function checkCapture(file: string, options: CheckCaptureOptions = {}): Promise<CaptureCheck> {
  assertCaptureFile(file);
  const started = performance.now();
  const id = basename(file).replace(/\.jsonl?$/, '');
  const history = new History(0);
  options.onHistory?.(history, { id, suite: 'capture' });
  const converter = new CaptureConverter(
    (e) => history.append(e),
    options.codec ? { codec: options.codec } : {},
  );
  let header: CaptureHeader | undefined;
  let lineNo = 0;
  let seen = 0;
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  try {
    for await (const text of lines) {
      lineNo++;
      if (text.trim() === '') continue;
      const where = `${file}:${lineNo}`;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new ConfigError(`${where}: not JSON: ${(error as Error).message}`);
      }
      const kind = (value as { kind?: unknown } | null)?.kind ?? 'frame';
      const validate = validators[kind as keyof typeof validators];
      if (!validate) {
        throw new ConfigError(
          `${where}: unknown kind ${JSON.stringify(kind)}: use "frame" (or none), "close" or "capture"`,
        );
      }
      if (!validate(value)) {
        const e = validate.errors?.[0];
        throw new ConfigError(
          `${where}: not a capture ${kind} line: ${e?.instancePath || '/'} ${e?.message ?? ''} (schemas/capture.schema.json)`,
        );
      }
      try {
        if (kind === 'capture') {
          if (seen > 0) throw new Error('the header must be the first line');
          header = value as CaptureHeader;
        } else if (kind === 'close') converter.close(value as CaptureClose);
        else converter.frame(value as CaptureFrame);
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        throw new ConfigError(`${where}: ${(error as Error).message}`);
      }
      seen++;
    }
  } catch (error) {
    // A read error (gone since assertCaptureFile looked, no permission): the file, not the kit.
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !code.startsWith('IMSPEC_')) {
      assertCaptureFile(file);
      throw new ConfigError(`capture ${file}: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
  const summary = converter.finish();
  const caps = [...(options.caps ?? header?.caps ?? summary.caps)];
  const users = header?.users ?? (options.partial ? {} : summary.users);
  const { findings, stats } = check(history.events, {
    // A capture judges the server: every message accepted is owed exactly once; whether a sender
    // gave up is its own business (an unanswered msg:R still breaks RID-1).
    expect: {
      exactlyOnce: true,
      allAccepted: false,
      receipt: caps.includes('delivered-receipt') ? 'delivered' : 'none',
    },
    users,
    caps,
  });
  const result = buildCaseResult({
    scenario: { id, title: `recorded traffic ${file}`, suite: 'capture', file, severity: 'MUST', covers: [] },
    findings,
    stats,
    events: history.events,
    durationMs: performance.now() - started,
    seed: 0,
    replay: `imspec check ${file}`,
    ...(summary.frames === 0
      ? { unmet: [{ precondition: 'frames', expected: 'frames to judge', actual: NO_FRAMES, evidence: [] }] }
      : {}),
  });
  return { result, summary, caps, users };
}
