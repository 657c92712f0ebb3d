/**
 * The attack-authoring test kit: run an attack against a scripted target in milliseconds, with no
 * socket, and assert on what it found. See ARCHITECTURE.md, "Add an attack".
 */
export {
  FAKE_BASE_URL,
  FAKE_BODY,
  FakeAttackRun,
  runFake,
  type FakeBurst,
  type FakeContextOptions,
  type FakeEndpoint,
  type FakeObserver,
} from './fake-context.js';
export {
  FakeDownstream,
  type DownstreamAnswer,
  type FakeAnswer,
  type FakeRequest,
  type FakeResponse,
  type FakeTarget,
  type FakeTargetEnv,
  type FakeTransportFailure,
} from './fake-target.js';
export { canonicalFingerprint, keyFrom, modelTarget, sameShape, type ModelPolicy } from './model-target.js';
export { cleanupStep, createStep, withSetup, type SetupTarget } from './setup-target.js';
export { FakeSystem, type FakeHookBehaviour, type FakeHooks } from './fake-system.js';
