import { strict as assert } from 'assert';
import * as net from 'net';
import { test } from 'node:test';

import { adapterPython, gatewayOf, listenHost, portFree, pythonOfArgv, shebangPython } from '../src/connectback';
import { fakeLinux } from './fakemachine';

test('the Python running a run, from its command line', () => {
    assert.equal(pythonOfArgv(['/venv/bin/python3', '/venv/bin/smdebug-local', 'run', 'd.py']), '/venv/bin/python3');
    assert.equal(pythonOfArgv(['/usr/bin/python3.11', '-m', 'smdebug_local', 'run']), '/usr/bin/python3.11');
    assert.equal(pythonOfArgv(['python', '-m', 'smdebug_local', 'run']), null, 'not by path: which one?');
    assert.equal(pythonOfArgv(['/usr/bin/uv', 'run', 'smdebug-local']), null);
    assert.equal(pythonOfArgv([]), null);
});

test("the adapter's Python: the run's own, never another user's process's; else Debug Script's command's", async () => {
    const m = fakeLinux({
        100: [1000, ['/venv/bin/python3', '/venv/bin/smdebug-local', 'run', 'd.py']],
        101: [1000, ['python3', '-m', 'smdebug_local', 'run', 'd.py']],
        200: [1001, ['/home/mallory/python3', 'x.py']],
    }, { '/opt/sl/bin/smdebug-local': '#!/opt/sl/bin/python\nimport sys\n' });
    let asked = 0;
    const resolved = (command: string[] | undefined) => async () => {
        asked++;
        return command;
    };
    assert.equal(await adapterPython(100, resolved(['/opt/sl/bin/smdebug-local']), m), '/venv/bin/python3');
    assert.equal(asked, 0, 'the command is not looked for when the run names its Python');
    // pid 200 was a killed run's; another account's python has it now
    assert.equal(await adapterPython(200, resolved(undefined), m), 'python3');
    assert.equal(await adapterPython(200, resolved(['/opt/sl/bin/smdebug-local']), m), '/opt/sl/bin/python', "the command's #!");
    assert.equal(await adapterPython(101, resolved(['/venv2/bin/python', '-m', 'smdebug_local']), m), '/venv2/bin/python',
        'a run started by a bare "python3": which one?');
    assert.equal(await adapterPython(300, resolved([]), m), 'python3');
    assert.equal(asked, 4);
    assert.equal(await adapterPython(300, () => Promise.reject(new Error('no answer')), m), 'python3');
});

test("a script's #! interpreter", () => {
    assert.equal(shebangPython('#!/venv/bin/python\nimport x\n'), '/venv/bin/python');
    assert.equal(shebangPython('#!/usr/bin/env python3\n'), 'python3');
    assert.equal(shebangPython('#!/bin/sh\n'), null);
    assert.equal(shebangPython('\x7fELF...'), null);
});

test("Docker's bridge gateway", () => {
    assert.equal(gatewayOf('[{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}]'), '172.17.0.1');
    assert.equal(gatewayOf('[{"Subnet":"172.18.0.0/16"}]'), '172.18.0.1', 'an engine that lists only the subnet');
    assert.equal(gatewayOf('[{"Subnet":"fd00::/64","Gateway":"fd00::1"}]'), null);
    assert.equal(gatewayOf('null'), null);
    assert.equal(gatewayOf('not json'), null);
});

test('where to listen: the bridge gateway for host.docker.internal, never all interfaces', () => {
    assert.equal(listenHost('host.docker.internal:5678', '172.17.0.1'), '172.17.0.1');
    assert.equal(listenHost('host.docker.internal:5678', null), null);
    assert.equal(listenHost('172.20.0.1:5678', '172.17.0.1'), '172.20.0.1');
    assert.equal(listenHost('0.0.0.0:5678', '172.17.0.1'), null);
    assert.equal(listenHost('example.com:5678', '172.17.0.1'), null);
});

test('a port something listens on is not free', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    assert.equal(await portFree('127.0.0.1', port), false);
    await new Promise((r) => server.close(r));
    assert.equal(await portFree('127.0.0.1', port), true);
});
