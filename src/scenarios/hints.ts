/** Kept so scenario code reads its hints from next door; the implementation is shared. */
export * from '../hints.js';
