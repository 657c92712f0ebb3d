export { loadScenario, loadScenarioText, scenarioJsonSchema, type ExtensionSchemas } from './load.js';
export { DEFAULT_SECRET_HEADERS } from './resolve.js';
export { PROFILES, PROFILE_NAMES } from './profiles.js';
export { parseDuration } from './durations.js';
