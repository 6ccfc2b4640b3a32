// Real sockets on loopback: what Docker's port proxy does with nothing behind it (accept,
// then drop) and what a debugpy adapter does (speaks first), or one that waits to be asked.
import { strict as assert } from 'assert';
import * as net from 'net';
import { test } from 'node:test';

import { openWhenReady, tryOpen } from '../src/connect';

function server(onConnection: (s: net.Socket) => void): Promise<net.Server & { port: number }> {
    return new Promise((resolve) => {
        const srv = net.createServer(onConnection);
        srv.listen(0, '127.0.0.1', () => resolve(Object.assign(srv, { port: (srv.address() as net.AddressInfo).port })));
    });
}

test('a connection dropped at once (the port proxy, nothing inside) does not count', async () => {
    const srv = await server((s) => s.destroy());
    assert.equal(await tryOpen(srv.port), null);
    srv.close();
});

test('nothing listening does not count', async () => {
    const srv = await server(() => undefined);
    const port = srv.port;
    await new Promise((r) => srv.close(r));
    assert.equal(await tryOpen(port), null);
});

test('an adapter that speaks first counts, and its first bytes are kept', async () => {
    const srv = await server((s) => s.write('Content-Length: 2\r\n\r\n{}'));
    const opened = await tryOpen(srv.port);
    assert.ok(opened);
    assert.equal(Buffer.concat(opened.head).toString(), 'Content-Length: 2\r\n\r\n{}');
    opened.socket.destroy();
    srv.close();
});

test('a quiet adapter counts after a while', async () => {
    const sockets: net.Socket[] = [];
    const srv = await server((s) => sockets.push(s));
    const opened = await tryOpen(srv.port);
    assert.ok(opened);
    assert.equal(opened.head.length, 0);
    opened.socket.destroy();
    sockets.forEach((s) => s.destroy());
    srv.close();
});

test('openWhenReady waits until the adapter answers, and stops when told', async () => {
    let ready = false;
    const srv = await server((s) => (ready ? s.write('x') : s.destroy()));
    setTimeout(() => { ready = true; }, 700);
    const started = Date.now();
    const opened = await openWhenReady(srv.port, () => false, 10_000);
    assert.ok(opened);
    assert.ok(Date.now() - started >= 600);
    opened.socket.destroy();
    ready = false;
    let stop = false;
    setTimeout(() => { stop = true; }, 500);
    assert.equal(await openWhenReady(srv.port, () => stop), null);
    srv.close();
});
