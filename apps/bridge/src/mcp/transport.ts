import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';

/**
 * The SDK's stdio transport, except that send() resolves only once the message was handed to the
 * operating system (the write callback), and rejects when it could not be: the channel acks a
 * Portal event only after its notification was really written.
 */
export class WrittenStdioTransport extends StdioServerTransport {
  constructor(
    stdin: Readable,
    private readonly out: Writable,
  ) {
    super(stdin, out);
  }

  override send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.out.destroyed || this.out.writableEnded) return reject(new Error('stdout is closed'));
      this.out.write(serializeMessage(message), (error) => (error ? reject(error) : resolve()));
    });
  }
}
