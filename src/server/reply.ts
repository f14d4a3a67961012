/**
 * The one answer to one request (RID-1). A handler gets a Reply and calls `ok` or `error` once;
 * the session applies the answer faults (`drop-answer`, `double-answer`).
 */

import type { AnswerFrame, WireErrorCode } from '../protocol/frames.js';

/** error:A.message is at most 1024 characters (schemas/frame.schema.json). */
const MAX_MESSAGE = 1024;

export interface Answerer {
  answer(frame: AnswerFrame, requestNo: number): void;
}

export class Reply {
  /**
   * @param rid the request's rid, or null when it had no readable one (FRAME-2/3)
   * @param requestNo 1-based number of the request among those after hello on its connection; 0 for others
   */
  constructor(
    private readonly to: Answerer,
    readonly rid: string | null,
    private readonly requestNo = 0,
  ) {}

  ok(frame: AnswerFrame): void {
    this.to.answer(frame, this.requestNo);
  }

  error(code: WireErrorCode, message: string): void {
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
    this.to.answer({ type: 'error:A', rid: this.rid, code, message: text }, this.requestNo);
  }
}
