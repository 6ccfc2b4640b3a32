// Real processes of this machine (/proc on Linux).
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import { test } from 'node:test';

import { alive, descendantOf, isRunProcess } from '../src/processes';

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
