// How Debug Script starts smdebug-local (src/command.ts), on a fake machine: files that exist,
// the Python extension's answers, which interpreters import smdebug_local.
import { strict as assert } from 'assert';
import { test } from 'node:test';

import { Host, interpreterFromApi, resolveCommand, runArgs, shown } from '../src/command';

const FOLDER_URI = { fsPath: '/ws' }; // what the Python extension's API is asked about

/** The new API (environments.getActiveEnvironmentPath), answering `python` for FOLDER_URI only. */
function envApi(python: string) {
    return { environments: { getActiveEnvironmentPath: (r: unknown) => ({ id: 'x', path: r === FOLDER_URI ? python : '/other/python' }) } };
}

function host(o: {
    files?: string[];
    api?: unknown; // null: no Python extension; an Error: it failed
    importers?: string[];
    trusted?: boolean;
    setting?: Host['setting'];
    PATH?: string;
    platform?: NodeJS.Platform;
    folder?: string;
    PATHEXT?: string;
} = {}): Host & { asked: string[] } {
    const asked: string[] = [];
    return {
        asked,
        platform: o.platform ?? 'linux',
        folder: o.folder ?? '/ws',
        resource: FOLDER_URI,
        trusted: o.trusted ?? true,
        setting: o.setting ?? {},
        env: { PATH: o.PATH ?? '/usr/local/bin:/usr/bin', PATHEXT: o.PATHEXT },
        isFile: (f) => (o.files ?? []).includes(f),
        pythonApi: async () => {
            asked.push('python extension');
            if (o.api instanceof Error) {
                throw o.api;
            }
            return o.api === undefined ? null : o.api;
        },
        imports: async (python) => {
            asked.push(`import ${python}`);
            return (o.importers ?? []).includes(python);
        },
    };
}

async function found(h: Host): Promise<{ command: string[]; message: string }> {
    const r = await resolveCommand(h);
    assert.ok(r.ok, r.message);
    return r;
}

test('the setting, when set, wins over everything else', async () => {
    const h = host({
        setting: { user: ['/opt/py/bin/python', '-m', 'smdebug_local'] },
        files: ['/ws/.venv/bin/smdebug-local', '/usr/bin/smdebug-local'],
        api: envApi('/ws/.venv/bin/python'),
    });
    const r = await found(h);
    assert.deepEqual(r.command, ['/opt/py/bin/python', '-m', 'smdebug_local']);
    assert.equal(r.message, 'smdebug-local: using /opt/py/bin/python -m smdebug_local (smdebugLocal.command in your user settings)');
    assert.deepEqual(h.asked, []); // nothing else was asked
});

test("the most specific level of the setting counts; a folder's [] means: find it", async () => {
    let r = await found(host({ setting: { user: ['u'], workspace: ['w'], folder: ['f'] } }));
    assert.deepEqual(r.command, ['f']);
    assert.match(r.message, /in the folder's settings\)$/);
    r = await found(host({ setting: { user: ['u'], workspace: ['w'] } }));
    assert.deepEqual(r.command, ['w']);
    r = await found(host({ setting: { user: ['u'], folder: [] }, files: ['/usr/bin/smdebug-local'] }));
    assert.deepEqual(r.command, ['/usr/bin/smdebug-local']);
});

test('an unusable setting is one error, not a guess', async () => {
    for (const bad of [[''], ['  '], [3], 'smdebug-local', {}]) {
        const r = await resolveCommand(host({ setting: { user: bad }, files: ['/usr/bin/smdebug-local'] }));
        assert.equal(r.ok, false, JSON.stringify(bad));
        assert.match(r.message, /^smdebug-local: smdebugLocal\.command in your user settings is .*: it must be a list whose first item is the program/);
    }
});

test("the Python extension's interpreter: its smdebug-local script next to it", async () => {
    const h = host({
        api: envApi('/home/u/envs/ml/bin/python'),
        files: ['/home/u/envs/ml/bin/smdebug-local', '/ws/.venv/bin/smdebug-local', '/usr/bin/smdebug-local'],
    });
    const r = await found(h);
    assert.deepEqual(r.command, ['/home/u/envs/ml/bin/smdebug-local']);
    assert.equal(r.message, 'smdebug-local: using /home/u/envs/ml/bin/smdebug-local (next to the interpreter the Python extension '
        + 'selected for this folder, /home/u/envs/ml/bin/python)');
    assert.deepEqual(h.asked, ['python extension']); // no process started
});

test("the Python extension's interpreter: python -m smdebug_local when it imports (no script beside it)", async () => {
    const h = host({ api: envApi('/opt/conda/bin/python3'), importers: ['/opt/conda/bin/python3'], files: ['/usr/bin/smdebug-local'] });
    const r = await found(h);
    assert.deepEqual(r.command, ['/opt/conda/bin/python3', '-m', 'smdebug_local']);
    assert.match(r.message, /\(the interpreter the Python extension selected for this folder, \/opt\/conda\/bin\/python3, which has smdebug_local\)$/);
});

test("the Python extension's interpreter without smdebug_local is passed over, and the message says so", async () => {
    const r = await found(host({ api: envApi('/usr/bin/python3'), files: ['/ws/.venv/bin/smdebug-local', '/ws/.venv/bin/python'] }));
    assert.deepEqual(r.command, ['/ws/.venv/bin/smdebug-local']);
    assert.equal(r.message, "smdebug-local: using /ws/.venv/bin/smdebug-local (the workspace's virtualenv .venv); "
        + 'not: the interpreter the Python extension selected for this folder, /usr/bin/python3, has no smdebug_local');
});

test("the Python extension's older API (settings.getExecutionDetails) is understood", async () => {
    const api = { settings: { getExecutionDetails: (r: unknown) => ({ execPath: r === FOLDER_URI ? ['/py/bin/python'] : undefined }) } };
    assert.equal(interpreterFromApi(api, FOLDER_URI), '/py/bin/python');
    const r = await found(host({ api, importers: ['/py/bin/python'] }));
    assert.deepEqual(r.command, ['/py/bin/python', '-m', 'smdebug_local']);
});

test('interpreterFromApi: odd answers are no answer', () => {
    assert.equal(interpreterFromApi(null, FOLDER_URI), undefined);
    assert.equal(interpreterFromApi({}, FOLDER_URI), undefined);
    assert.equal(interpreterFromApi({ environments: { getActiveEnvironmentPath: () => ({ path: '' }) } }, FOLDER_URI), undefined);
    assert.equal(interpreterFromApi({ environments: { getActiveEnvironmentPath: () => { throw new Error('x'); } } }, FOLDER_URI), undefined);
    // a `conda run -n env python` line is not one interpreter
    assert.equal(interpreterFromApi({ settings: { getExecutionDetails: () => ({ execPath: ['conda', 'run', '-n', 'e', 'python'] }) } }, FOLDER_URI), undefined);
    // the newer API first, the older one when the newer has nothing
    assert.equal(interpreterFromApi({
        environments: { getActiveEnvironmentPath: () => undefined },
        settings: { getExecutionDetails: () => ({ execPath: ['/old/python'] }) },
    }, FOLDER_URI), '/old/python');
});

test('a workspace virtualenv: .venv, then venv, then env', async () => {
    let r = await found(host({ files: ['/ws/venv/bin/smdebug-local', '/ws/env/bin/smdebug-local', '/usr/bin/smdebug-local'] }));
    assert.deepEqual(r.command, ['/ws/venv/bin/smdebug-local']);
    assert.equal(r.message, "smdebug-local: using /ws/venv/bin/smdebug-local (the workspace's virtualenv venv); not: no Python extension");
    r = await found(host({ files: ['/ws/env/bin/smdebug-local'] }));
    assert.deepEqual(r.command, ['/ws/env/bin/smdebug-local']);
});

test('PATH last: the first absolute entry that has it; relative entries are skipped', async () => {
    const r = await found(host({ PATH: '.:bin::/usr/local/bin:/usr/bin', files: ['bin/smdebug-local', '/usr/bin/smdebug-local', '/ws/.venv/bin/python'] }));
    assert.deepEqual(r.command, ['/usr/bin/smdebug-local']);
    assert.equal(r.message, 'smdebug-local: using /usr/bin/smdebug-local (on PATH); not: no Python extension; '
        + "the workspace's virtualenv .venv has no smdebug-local");
});

test('nothing found: one error naming the fixes', async () => {
    const r = await resolveCommand(host({ api: envApi('/usr/bin/python3') }));
    assert.equal(r.ok, false);
    assert.equal(r.message, 'smdebug-local: cannot find smdebug-local (the interpreter the Python extension selected for this folder, '
        + '/usr/bin/python3, has no smdebug_local; no virtualenv (.venv, venv, env) in /ws; smdebug-local is not on PATH). '
        + "Install it into the workspace's virtualenv (`.venv/bin/pip install smdebug-local`), or `pip install smdebug-local` "
        + 'where VS Code finds it on PATH, or set smdebugLocal.command in your settings, e.g. ["/path/to/venv/bin/python", "-m", "smdebug_local"]');
});

test('the Python extension failing to activate is passed over, and said', async () => {
    const r = await found(host({ api: new Error('activating it took over 15 s'), files: ['/usr/bin/smdebug-local'] }));
    assert.match(r.message, /not: the Python extension did not answer \(activating it took over 15 s\)/);
});

test('a restricted workspace: only the user setting and PATH; never its settings, virtualenv or interpreter', async () => {
    const files = ['/ws/.venv/bin/smdebug-local', '/ws/.venv/bin/python', '/usr/bin/smdebug-local'];
    let h = host({ trusted: false, setting: { workspace: ['/ws/evil'], folder: ['/ws/evil2'] }, api: envApi('/ws/.venv/bin/python'), files, importers: ['/ws/.venv/bin/python'] });
    let r = await found(h);
    assert.deepEqual(r.command, ['/usr/bin/smdebug-local']);
    assert.deepEqual(h.asked, []); // not even asked: no interpreter of the workspace runs
    assert.match(r.message, /^smdebug-local: using \/usr\/bin\/smdebug-local \(on PATH\); not: smdebugLocal\.command in the folder's settings \(ignored in a restricted workspace\); /);
    r = await found(host({ trusted: false, setting: { user: ['/home/u/bin/smdebug-local'], workspace: ['/ws/evil'] }, files }));
    assert.deepEqual(r.command, ['/home/u/bin/smdebug-local']);
    h = host({ trusted: false, files: ['/ws/.venv/bin/smdebug-local'] });
    const missing = await resolveCommand(h);
    assert.equal(missing.ok, false);
    assert.equal(missing.message, 'smdebug-local: cannot find smdebug-local (not used in a restricted workspace: '
        + "the Python extension's interpreter, the workspace's virtualenv; smdebug-local is not on PATH). Install it with "
        + '`pip install smdebug-local` where VS Code finds it on PATH, or set smdebugLocal.command in your user settings '
        + '(in a restricted workspace only those count; trust the workspace to use its virtualenv), e.g. ["/path/to/venv/bin/python", "-m", "smdebug_local"]');
});

test('Windows: Scripts\\smdebug-local.exe, PATHEXT on PATH', async () => {
    let r = await found(host({ platform: 'win32', folder: 'C:\\ws', files: ['C:\\ws\\.venv\\Scripts\\smdebug-local.exe'] }));
    assert.deepEqual(r.command, ['C:\\ws\\.venv\\Scripts\\smdebug-local.exe']);
    r = await found(host({
        platform: 'win32', folder: 'C:\\ws', PATH: 'C:\\Windows;C:\\Python312\\Scripts', PATHEXT: '.COM;.EXE',
        files: ['C:\\Python312\\Scripts\\smdebug-local.exe'],
    }));
    assert.deepEqual(r.command, ['C:\\Python312\\Scripts\\smdebug-local.exe']);
    // a base interpreter keeps its scripts in Scripts\ beside python.exe
    r = await found(host({ platform: 'win32', folder: 'C:\\ws', api: envApi('C:\\Python312\\python.exe'), files: ['C:\\Python312\\Scripts\\smdebug-local.exe'] }));
    assert.deepEqual(r.command, ['C:\\Python312\\Scripts\\smdebug-local.exe']);
});

test('shown: a command line as typed', () => {
    assert.equal(shown(['/a b/python', '-m', 'smdebug_local', 'run', '']), '"/a b/python" -m smdebug_local run ""');
});

test("Debug Script's run arguments: --post-mortem always, before runArgs (whose --no-post-mortem wins)", () => {
    assert.deepEqual(runArgs(false, [], 'driver.py'), ['run', '--post-mortem', 'driver.py']);
    assert.deepEqual(runArgs(true, ['--ranks', '0', '--no-post-mortem'], 'src/driver.py'),
        ['run', '--watch', '--post-mortem', '--ranks', '0', '--no-post-mortem', 'src/driver.py']);
});
