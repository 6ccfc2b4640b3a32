import { strict as assert } from 'assert';
import { test } from 'node:test';

import { encode, FrameParser } from '../src/dap';

test('round trip, whatever the chunking', () => {
    const messages = [{ seq: 1, type: 'event', event: 'output', body: { output: 'héllo\n' } }, { seq: 2, type: 'response' }];
    const bytes = Buffer.concat(messages.map(encode));
    for (const size of [1, 3, 17, bytes.length]) {
        const parser = new FrameParser();
        const got: unknown[] = [];
        for (let i = 0; i < bytes.length; i += size) {
            got.push(...parser.feed(bytes.subarray(i, i + size)));
        }
        assert.deepEqual(got, messages);
    }
});

test('Content-Length counts bytes, not characters', () => {
    assert.match(encode({ a: 'é' }).toString('utf8'), /^Content-Length: 10\r\n\r\n/);
});

test('a header without Content-Length is an error', () => {
    assert.throws(() => new FrameParser().feed(Buffer.from('Foo: 1\r\n\r\n{}')), /without Content-Length/);
});
