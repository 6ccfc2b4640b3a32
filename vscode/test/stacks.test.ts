// Show Stacks (src/stacks.ts): the command line it runs, and what it shows once that ended.
import { strict as assert } from 'assert';
import { test } from 'node:test';

import { Ended, stacksCommand, stacksShown } from '../src/stacks';

const COMMAND = ['/ws/.venv/bin/python', '-m', 'smdebug_local'];
const LINE = stacksCommand(COMMAND, { folder: '/ws', run: 'r1' });

function ended(o: Partial<Ended>): Ended {
    return { code: 0, timedOut: false, stdout: '', stderr: '', ...o };
}

test('the command line: the run of a folder, --target for one target', () => {
    assert.deepEqual(LINE, ['/ws/.venv/bin/python', '-m', 'smdebug_local', 'stacks', '--workspace', '/ws', '--run', 'r1']);
    assert.deepEqual(
        stacksCommand(['/usr/bin/smdebug-local'], { folder: '/my ws', run: 'r1', service: 'algo-1' }),
        ['/usr/bin/smdebug-local', 'stacks', '--workspace', '/my ws', '--run', 'r1', '--target', 'algo-1'],
    );
});

test('exit 0: its output is the text', () => {
    const stdout = 'training algo-1 (pid 7)\n  Thread MainThread\n    File "train.py", line 3, in <module>\n';
    assert.deepEqual(stacksShown(LINE, ended({ stdout, stderr: 'a warning\n' })), { ok: true, text: stdout });
    assert.deepEqual(stacksShown(LINE, ended({ stdout: '\n' })), {
        ok: false, message: 'smdebug-local: /ws/.venv/bin/python -m smdebug_local stacks --workspace /ws --run r1 printed no stacks',
    });
});

test("a failure: smdebug-local's error line, else the CLI parser's, else the last line", () => {
    const own = 'smdebug-local: error: run r1 has ended; start it again';
    assert.deepEqual(stacksShown(LINE, ended({ code: 1, stdout: 'partial\n', stderr: `debug: asking algo-1\n${own}\n` })), { ok: false, message: own });
    const click = "Usage: smdebug-local [OPTIONS] COMMAND [ARGS]...\nTry 'smdebug-local -h' for help.\n\nError: No such command 'stacks'.\n";
    assert.deepEqual(stacksShown(LINE, ended({ code: 2, stderr: click })), {
        ok: false, message: "smdebug-local: stacks failed (exit code 2): Error: No such command 'stacks'.",
    });
    assert.deepEqual(stacksShown(LINE, ended({ code: 1, stderr: 'Traceback (most recent call last):\n  ...\nKeyError: \'x\'\r\n' })), {
        ok: false, message: "smdebug-local: stacks failed (exit code 1): KeyError: 'x'",
    });
    assert.deepEqual(stacksShown(LINE, ended({ code: null })), { ok: false, message: 'smdebug-local: stacks failed (killed)' });
});

test('not started, too slow, too much output', () => {
    assert.deepEqual(stacksShown(['/gone/smdebug-local', 'stacks'], ended({ code: null, errno: 'ENOENT', message: 'spawn /gone/smdebug-local ENOENT' })), {
        ok: false,
        message: 'smdebug-local: cannot find smdebug-local (/gone/smdebug-local does not exist). Install it, '
            + 'or set smdebugLocal.command in your settings, e.g. ["/path/to/venv/bin/python", "-m", "smdebug_local"]',
    });
    assert.deepEqual(stacksShown(LINE, ended({ code: null, timedOut: true, stdout: 'partial' })), {
        ok: false, message: 'smdebug-local: no stacks after 15 s (/ws/.venv/bin/python -m smdebug_local stacks --workspace /ws --run r1)',
    });
    assert.deepEqual(stacksShown(LINE, ended({ code: null, errno: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER', message: 'stdout maxBuffer length exceeded' })), {
        ok: false, message: 'smdebug-local: cannot run /ws/.venv/bin/python -m smdebug_local stacks --workspace /ws --run r1: stdout maxBuffer length exceeded',
    });
});
