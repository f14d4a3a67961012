/**
 * `imspec certify`: a certification of a server the kit starts itself, as a document with every
 * verdict, the exact command, the server's configuration and the readings (docs/certify.md).
 */

export { type CertifyHooks, type CertifyResult, certify } from './certify.js';
export { certifyCommand } from './command.js';
export { type Draft, type DraftEntry, draftExpectations, renderDraft, UNREVIEWED } from './draft.js';
export { type ProtocolEvidence, protocolEvidence } from './evidence.js';
export {
  CERTIFY_DEFAULTS,
  CERTIFY_SUITES,
  type CertifyOptions,
  resolveCertifyOptions,
  slugOf,
} from './options.js';
export { loadReadings, parseReadings, type ServerReadings, SUMMARY_KEY } from './readings.js';
export { type CertificationInput, renderCertification } from './render.js';
