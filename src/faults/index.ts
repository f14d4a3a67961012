/**
 * Fault injection: rules (schemas/faults.schema.json → resolveFaultRules), the seeded generator,
 * the frame-aware WebSocket proxy, the TCP proxy, exact replay and minimisation of fault events.
 * docs/faults.md is the guide.
 */

export { type MinimizeOptions, type MinimizeResult, minimize } from './ddmin.js';
export { type FrameInfo, FrameRuleEngine, matches } from './frame-engine.js';
export {
  type FrameProxy,
  type FrameProxyOptions,
  type FrameProxyStats,
  startFrameProxy,
} from './frame-proxy.js';
export { RuleGate } from './gate.js';
export { createRng, type Rng, randomSeed } from './random.js';
export { replayRules, rulesToYaml, ruleToYaml, type ToYamlOptions, toYaml } from './replay.js';
export {
  type FaultPath,
  FRAME_ACTIONS,
  type ResolveOptions,
  resolveFaultRules,
  STREAM_ACTIONS,
} from './resolve.js';
export { startTcpProxy, type TcpProxy, type TcpProxyOptions, type TcpProxyStats } from './tcp-proxy.js';
export * from './types.js';
export { startWsProxy, type WsProxy, type WsProxyOptions, type WsProxyStats } from './ws-proxy.js';
