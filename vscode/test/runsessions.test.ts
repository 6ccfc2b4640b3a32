import { strict as assert } from 'assert';
import { test } from 'node:test';

import { outcome, SessionInfo, sessionsOfRun } from '../src/runsessions';

const OWN = 'smdebug-local';
const RUN = { run: 'r1', connect: new Set([5678, 5679]), listen: new Set([5690]) };

function s(id: string, type: string, configuration: Record<string, unknown>, parentId?: string): SessionInfo {
    return { id, type, configuration, parentId };
}

test("a run's sessions: every target's, their children, its listener, a debugpy session on its ports", () => {
    const sessions = [
        s('rank0', OWN, { target: 'r1|algo-1|c1|127.0.0.1:5678' }),
        s('rank1', OWN, { target: 'r1|algo-1|c1|127.0.0.1:5679' }),
        // A DataLoader worker: VS Code's child session, configuration copied plus subProcessId.
        s('worker', OWN, { target: 'r1|algo-1|c1|127.0.0.1:5678', subProcessId: 42 }, 'rank0'),
        s('listener', OWN, { target: 'r1|listen|host.docker.internal:5690' }),
        s('other-run', OWN, { target: 'r2|algo-1|c9|127.0.0.1:5700' }),
        s('f5', 'debugpy', { request: 'attach', connect: { host: '127.0.0.1', port: 5679 } }),
        s('f5-child', 'debugpy', { request: 'attach', connect: { host: '127.0.0.1', port: 41000 }, subProcessId: 7 }, 'f5'),
        s('listen-f5', 'debugpy', { request: 'attach', listen: { host: '172.17.0.1', port: 5690 } }),
        s('elsewhere', 'debugpy', { request: 'attach', connect: { host: '127.0.0.1', port: 6000 } }),
        s('node', 'node', { request: 'launch' }),
        s('grandchild', OWN, { target: 'r1|algo-1|c1|127.0.0.1:5678', subProcessId: 43 }, 'worker'),
    ];
    assert.deepEqual(sessionsOfRun(sessions, RUN, OWN), [
        'rank0', 'rank1', 'worker', 'listener', 'f5', 'f5-child', 'listen-f5', 'grandchild',
    ]);
    assert.deepEqual(sessionsOfRun(sessions, { run: 'r2', connect: new Set(), listen: new Set() }, OWN), ['other-run']);
});

test('a parent chain that loops is not followed forever', () => {
    const sessions = [s('a', 'x', {}, 'b'), s('b', 'x', {}, 'a')];
    assert.deepEqual(sessionsOfRun(sessions, RUN, OWN), []);
});

test('the status message says how many', () => {
    assert.equal(outcome('continued', 'driver.py', 2, 0), 'smdebug-local: 2 sessions of driver.py continued');
    assert.equal(outcome('paused', 'driver.py', 1, 1), 'smdebug-local: 1 session of driver.py paused, 1 did not answer');
    assert.equal(outcome('continued', 'driver.py', 0, 0), 'smdebug-local: no debug session of driver.py to continue');
    assert.equal(outcome('paused', '', 0, 0), 'smdebug-local: no debug session to pause');
});
