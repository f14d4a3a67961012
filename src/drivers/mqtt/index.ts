export { UserSeqs } from '../actor-registry.js';
export { ActorState, ActorStates, ReplayStore } from './actor-state.js';
export { decodeEnvelope, type Envelope, encodeEnvelope, smidOf } from './envelope.js';
export { MQTT_CAPS, MqttDriver, type MqttDriverOptions } from './mqtt-driver.js';
export { clientIdOf, MqttSession } from './mqtt-session.js';
export { renderPacket } from './render.js';
export {
  type CmidCarrier,
  credentials,
  MQTT_TARGET_DEFAULTS,
  type MqttQos,
  type MqttTarget,
  type MqttTargetOptions,
  type MqttVersion,
  resolveMqttTarget,
} from './target.js';
