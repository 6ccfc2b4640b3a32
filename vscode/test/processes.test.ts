// Real processes of this machine (/proc on Linux).
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import { test } from 'node:test';

import { alive, descendantOf, isRunProcess, Machine, ownProcess } from '../src/processes';
import { fakeLinux } from './fakemachine';

test('alive: this process yes; pid 0, 1, negative, gone: no', async () => {
    assert.equal(alive(process.pid), true);
    assert.equal(alive(0), false);
    assert.equal(alive(1), false); // a state file naming init is never a run
    assert.equal(alive(-5), false);
    const child = spawn('true', { stdio: 'ignore' });
    await new Promise((r) => child.on('exit', r));
    assert.equal(alive(child.pid!), false);
});

test('a run is an smdebug-local or Python process, not any pid that is alive', async () => {
    assert.equal(isRunProcess(process.pid), false); // node, not a run
    const child = spawn('python3', ['-c', 'import time; time.sleep(5)'], { stdio: 'ignore' });
    try {
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(isRunProcess(child.pid!), true);
    } finally {
        child.kill();
    }
});

test('descendantOf walks the parent chain (a wrapper between task and run)', async () => {
    assert.equal(descendantOf(process.pid, process.pid), true);
    assert.equal(descendantOf(process.pid, process.ppid), true);
    const child = spawn('sh', ['-c', 'sleep 5 & wait'], { stdio: 'ignore' });
    try {
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(descendantOf(child.pid!, process.pid), true);
        assert.equal(descendantOf(process.pid, child.pid!), false);
    } finally {
        child.kill();
    }
});

test("a pid reused by another user's Python is not our run (never attached)", () => {
    const machine = fakeLinux({
        100: [1000, ['/venv/bin/python3', '/venv/bin/smdebug-local', 'run', 'd.py']],
        200: [1001, ['/home/mallory/bin/python3', 'x.py']],
        300: [0, ['/usr/bin/python3', '-m', 'smdebug_local', 'run']],
    });
    assert.equal(ownProcess(100, machine), true);
    assert.equal(isRunProcess(100, machine), true);
    assert.equal(ownProcess(200, machine), false);
    assert.equal(isRunProcess(200, machine), false, "another account's process");
    assert.equal(isRunProcess(300, machine), false, "root's process");
    assert.equal(ownProcess(400, machine), false, 'gone');
    assert.equal(isRunProcess(400, machine), false);
});

test('no /proc or no getuid: liveness only, as before', () => {
    const noUid = { ...fakeLinux({ 200: [1001, ['/usr/bin/python3']] }), uid: undefined };
    assert.equal(ownProcess(200, noUid), true);
    assert.equal(isRunProcess(200, noUid), true);
    const mac: Machine = {
        proc: false,
        uid: 501,
        uidOf: () => { throw new Error('ENOENT'); },
        read: () => null,
        alive: (pid) => pid === 200,
    };
    assert.equal(ownProcess(200, mac), true);
    assert.equal(isRunProcess(200, mac), true);
    assert.equal(isRunProcess(201, mac), false);
});

test('this process is ours on this machine', () => {
    assert.equal(ownProcess(process.pid), true);
});
