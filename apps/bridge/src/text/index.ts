/**
 * Text for people and models: what peers and visitors wrote, framed and escaped (untrusted), and
 * the terminal formatting of the CLI (terminal). Used by the CLI, the Bridge's wakes and the MCP server.
 */
export * from './terminal';
export * from './untrusted';
