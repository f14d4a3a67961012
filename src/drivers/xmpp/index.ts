export { type Owed, type Resumable, XmppActorState, XmppActorStates, XmppUserSeqs } from './actor-state.js';
export { finSaysMore, mamQuery, storedFromArchive } from './mam.js';
export { registerAccount } from './register.js';
export {
  bareOf,
  type ChatIn,
  chatMessage,
  localOf,
  type MessageIn,
  NS,
  readMessage,
  receipt,
  renderElement,
} from './stanzas.js';
export {
  resolveXmppTarget,
  type SaslMechanism,
  XMPP_TARGET_DEFAULTS,
  type XmppTarget,
  type XmppTargetOptions,
} from './target.js';
export { XMPP_CAPS, XmppDriver, type XmppDriverOptions } from './xmpp-driver.js';
export { XmppSession } from './xmpp-session.js';
