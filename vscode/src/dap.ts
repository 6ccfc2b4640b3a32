// The Debug Adapter Protocol's wire format: "Content-Length: N\r\n\r\n" + N bytes of JSON.
// Pure (unit-tested in test/dap.test.ts); src/adapter.ts uses it over a socket.

const HEADER_END = Buffer.from('\r\n\r\n');

export function encode(message: unknown): Buffer {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

/** Splits a byte stream into DAP messages, whatever the chunking. */
export class FrameParser {
    private buffer: Buffer = Buffer.alloc(0);

    /** Feed bytes; returns the messages now complete. Throws on a malformed header. */
    feed(chunk: Buffer): unknown[] {
        this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
        const messages: unknown[] = [];
        for (;;) {
            const end = this.buffer.indexOf(HEADER_END);
            if (end < 0) {
                return messages;
            }
            const header = this.buffer.subarray(0, end).toString('ascii');
            const match = /Content-Length:\s*(\d+)/i.exec(header);
            if (!match) {
                throw new Error(`DAP header without Content-Length: ${JSON.stringify(header)}`);
            }
            const start = end + HEADER_END.length;
            const length = Number(match[1]);
            if (this.buffer.length < start + length) {
                return messages;
            }
            const body = this.buffer.subarray(start, start + length).toString('utf8');
            this.buffer = this.buffer.subarray(start + length);
            messages.push(JSON.parse(body));
        }
    }
}
