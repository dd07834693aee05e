import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EnvReader } from './env-reader';

/** PORTAL_CA_FILE as read: where the file is and the certificates (PEM blocks) in it. */
export interface CaFile {
  path: string;
  certificates: string[];
}

/** One PEM certificate block; text between blocks (comments, blank lines) is ignored, as OpenSSL does. */
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Reads a PEM file of extra certificate authorities once, at start. A file that is missing or
 * unreadable, holds no certificate, a block that does not parse, or a private key (a wrong file,
 * and a secret that does not belong there) is a problem at start rather than calls to peers
 * failing hours later. Unset: undefined.
 */
export function readCaFile(env: EnvReader, name: string): CaFile | undefined {
  const value = env.raw(name);
  if (value === undefined) return undefined;
  const path = resolve(value);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    env.problems.push(`${name} must name a readable PEM file of CA certificates (${path}: ${code})`);
    return undefined;
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    env.problems.push(`${name} must hold certificates only, but ${path} holds a private key`);
    return undefined;
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length !== text.split('-----BEGIN CERTIFICATE-----').length - 1) {
    env.problems.push(`${name}: ${path} has a certificate without its -----END CERTIFICATE----- line`);
    return undefined;
  }
  if (certificates.length === 0) {
    env.problems.push(`${name} must be a PEM file of CA certificates (-----BEGIN CERTIFICATE-----), but ${path} holds none`);
    return undefined;
  }
  for (const [index, pem] of certificates.entries()) {
    try {
      new X509Certificate(pem);
    } catch {
      env.problems.push(`${name}: certificate ${index + 1} of ${certificates.length} in ${path} does not parse`);
      return undefined;
    }
  }
  return { path, certificates };
}
