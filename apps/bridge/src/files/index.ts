/**
 * Files between this machine and the Portal, for the CLI and the MCP server alike: chunked,
 * verified, resumable uploads, and downloads checked against their SHA-256 under a safe local name.
 */
export { downloadClient, saveFile } from './download';
export { hashChunksAside, uploadFile, type UploadContext, type UploadRequest } from './upload';
