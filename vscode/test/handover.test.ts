import { strict as assert } from 'assert';
import { test } from 'node:test';

import {
    claimOf, handOver, Holds, PENDING_MS, preLaunchTaskOf, RESTART_GRACE_MS, taskNames,
} from '../src/handover';

test('what a debugpy configuration claims', () => {
    // The generated launch.json's attach (connect) and listen (connect-back) configurations.
    assert.deepEqual(claimOf({ request: 'attach', connect: { host: '127.0.0.1', port: 5678 } }), { port: 5678, listen: false });
    assert.deepEqual(claimOf({ request: 'attach', connect: { port: 5679 } }), { port: 5679, listen: false });
    assert.deepEqual(claimOf({ request: 'attach', host: 'localhost', port: 5680 }), { port: 5680, listen: false });
    assert.deepEqual(claimOf({ request: 'attach', listen: { host: '172.17.0.1', port: 5678 } }), { port: 5678, listen: true });
    assert.deepEqual(claimOf({ request: 'attach', connect: { host: '127.0.0.1', port: '5681' } }), { port: 5681, listen: false });
    // Nothing of ours: a launch, another machine, a child process's session, by process id.
    assert.equal(claimOf({ request: 'launch', program: 'x.py' }), null);
    assert.equal(claimOf({ request: 'attach', connect: { host: '10.0.0.5', port: 5678 } }), null);
    assert.equal(claimOf({ request: 'attach', connect: { port: 5678 }, subProcessId: 12 }), null);
    assert.equal(claimOf({ request: 'attach', processId: 123 }), null);
    assert.equal(claimOf({ request: 'attach', connect: { port: 70000 } }), null);
});

test('a debugpy session on a port ours holds: ours ends first (and only that one)', () => {
    const ours = [
        { key: 'r|a|c1|127.0.0.1:5678', port: 5678, listen: false },
        { key: 'r|b|c2|127.0.0.1:5679', port: 5679, listen: false },
        { key: 'r|listen|host.docker.internal:5690', port: 5690, listen: true },
    ];
    assert.deepEqual(handOver({ port: 5678, listen: false }, ours), ['r|a|c1|127.0.0.1:5678']);
    assert.deepEqual(handOver({ port: 5690, listen: true }, ours), ['r|listen|host.docker.internal:5690']);
    assert.deepEqual(handOver({ port: 5690, listen: false }, ours), [], 'an attach to 5690 is not a listener on it');
    assert.deepEqual(handOver({ port: 5700, listen: false }, ours), []);
});

test('held: claimed at resolve, held while the session lives, released when it ends', () => {
    const holds = new Holds();
    const attach = { port: 5678, listen: false };
    holds.claim(attach, 0);
    assert.deepEqual([...holds.ports(1).connect], [5678], 'while the pre-launch task starts the run');
    holds.start('s1', attach);
    assert.ok(holds.has('s1'));
    assert.deepEqual([...holds.ports(PENDING_MS + 1).connect], [5678], 'a live session holds it for good');
    assert.deepEqual(holds.end('s1', 10), attach);
    assert.deepEqual([...holds.ports(11).connect], []);
    assert.equal(holds.end('s1', 12), undefined);
});

test('a claim whose session never starts: released after a while, or when its pre-launch task ends', () => {
    const holds = new Holds();
    holds.claim({ port: 5678, listen: false }, 0, 'smdebug-local: run');
    assert.deepEqual([...holds.ports(PENDING_MS - 1).connect], [5678]);
    assert.deepEqual([...holds.ports(PENDING_MS).connect], []);
    holds.claim({ port: 5678, listen: false }, 0, 'smdebug-local: run');
    // the pre-launch task failed, the user aborted
    assert.equal(holds.taskEnded(taskNames({ name: 'smdebug-local: run', source: 'Workspace' })), true);
    assert.deepEqual([...holds.ports(1).connect], []);
});

test("another task ending keeps a claim whose pre-launch task is still starting the run", () => {
    const holds = new Holds();
    holds.claim({ port: 5678, listen: false }, 0, 'smdebug-local: run');
    holds.claim({ port: 5690, listen: true }, 0, 'npm: build'); // a task a provider contributes
    holds.claim({ port: 5700, listen: false }, 0); // no pre-launch task: its session starts at once
    assert.equal(holds.taskEnded(taskNames({ name: 'lint', source: 'Workspace' })), false);
    assert.equal(holds.taskEnded(taskNames({ name: 'run train.py', source: 'smdebug-local' })), false,
        "Debug Script's task is not the launch.json's");
    assert.deepEqual([...holds.ports(1).connect].sort(), [5678, 5700]);
    assert.deepEqual([...holds.ports(1).listen], [5690]);
    assert.equal(holds.taskEnded(taskNames({ name: 'build', source: 'npm' })), true);
    assert.deepEqual([...holds.ports(1).listen], []);
    assert.deepEqual([...holds.ports(1).connect].sort(), [5678, 5700]);
    holds.start('s1', { port: 5678, listen: false });
    assert.equal(holds.taskEnded(taskNames({ name: 'smdebug-local: run', source: 'Workspace' })), false,
        'its session started: the session holds it now');
    assert.deepEqual([...holds.ports(1).connect].sort(), [5678, 5700]);
    assert.deepEqual([...holds.ports(PENDING_MS).connect], [5678], 'the claim without a task: until PENDING_MS');
});

test("a configuration's pre-launch task", () => {
    assert.equal(preLaunchTaskOf({ request: 'attach', preLaunchTask: 'smdebug-local: run' }), 'smdebug-local: run');
    assert.equal(preLaunchTaskOf({ request: 'attach' }), undefined);
    assert.equal(preLaunchTaskOf({ request: 'attach', preLaunchTask: '' }), undefined);
    assert.equal(preLaunchTaskOf({ request: 'attach', preLaunchTask: { type: 'npm', script: 'build' } }), undefined);
});

test('a listen session that ends keeps its port a moment (VS Code restarts it)', () => {
    const holds = new Holds();
    const listen = { port: 5690, listen: true };
    holds.start('s1', listen);
    assert.deepEqual([...holds.ports(0).listen], [5690]);
    holds.end('s1', 100);
    assert.deepEqual([...holds.ports(100 + RESTART_GRACE_MS - 1).listen], [5690]);
    assert.deepEqual([...holds.ports(100 + RESTART_GRACE_MS).listen], []);
    assert.deepEqual([...holds.ports(0).connect], []);
});
