/**
 * The Portal's configuration: what the code uses (settings.ts), the PORTAL_* variables it comes from
 * (variables.ts, the one declaration of names, defaults, checks and docs) and how it is read
 * (load-config.ts). Import from here.
 */
export { ConfigError } from './env-reader';
export { loadConfig } from './load-config';
export * from './settings';
export { CONFIG_VARIABLES, type ConfigVariable, PORTAL_VARIABLES } from './variables';

/** The Nest token of the loaded PortalConfig. */
export const PORTAL_CONFIG = Symbol('PORTAL_CONFIG');
