// The packaged extension's version is smdebug_local/__init__.py's __version__ (scripts/version.js,
// used by scripts/package.js), and the Node check of scripts/check-node.js.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';

import { atLeast } from '../scripts/check-node';
import { extensionVersion, pythonVersion, toSemver } from '../scripts/version';

// out/test/ -> the repository (vscode/..)
const INIT_PY = path.join(__dirname, '..', '..', '..', 'smdebug_local', '__init__.py');

test('__version__ is read from the module text, whatever else is around it', () => {
    const text = '"""Doc: __version__ = "9.9.9" in a docstring is not it."""\n\nfrom .api import enable\n\n__version__ = "0.3.1"\n\n__all__ = ["__version__"]\n';
    assert.equal(pythonVersion(text), '0.3.1');
    assert.equal(pythonVersion("__version__ = '1.2'\n"), '1.2');
    assert.equal(pythonVersion('__version__: str = "2.0.0"\n'), '2.0.0');
    assert.equal(pythonVersion('version = "1.0"\n'), null);
    assert.throws(() => extensionVersion('x = 1\n', '/x/__init__.py'), /no __version__ = "\.\.\." line in \/x\/__init__\.py/);
});

test('PEP 440 versions become the SemVer VS Code expects', () => {
    const cases: [string, string][] = [
        ['0.1.0', '0.1.0'],
        ['1.2', '1.2.0'],
        ['3', '3.0.0'],
        ['1.2.3rc1', '1.2.3-rc.1'],
        ['1.2.3a2', '1.2.3-a.2'],
        ['1.2.3b0', '1.2.3-b.0'],
        ['1.2.3.dev4', '1.2.3-dev.4'],
        ['1.2.3rc1.dev2', '1.2.3-rc.1.dev.2'],
        ['1.2.3-beta.1', '1.2.3-b.1'],
        ['1.02.3', '1.2.3'],
        ['1.2.3+Local-Build_7', '1.2.3+local.build.7'],
    ];
    for (const [pep440, semver] of cases) {
        assert.equal(toSemver(pep440), semver, pep440);
    }
    for (const bad of ['1!1.0.0', '1.0.0.post1', '1.2.3.4', '', 'abc']) {
        assert.throws(() => toSemver(bad), /has no SemVer form/, bad);
    }
});

test("this repository's smdebug_local/__init__.py gives the packaged version (as Python reads it)", (t) => {
    if (!fs.existsSync(INIT_PY)) {
        t.skip('vscode/ outside its repository');
        return;
    }
    // Python's own reading of the module's __version__ assignment (no import: no dependencies).
    const read = spawnSync('python3', ['-c', [
        'import ast, sys',
        'tree = ast.parse(open(sys.argv[1]).read())',
        'print(next(n.value.value for n in tree.body if isinstance(n, ast.Assign) and any(getattr(x, "id", None) == "__version__" for x in n.targets)))',
    ].join('\n'), INIT_PY], { encoding: 'utf8' });
    assert.equal(read.status, 0, read.stderr);
    const python = read.stdout.trim();
    assert.equal(extensionVersion(fs.readFileSync(INIT_PY, 'utf8'), INIT_PY), toSemver(python));
    if (/^\d+\.\d+\.\d+$/.test(python)) {
        assert.equal(extensionVersion(fs.readFileSync(INIT_PY, 'utf8'), INIT_PY), python);
    }
});

test('the Node check compares numerically against engines.node', () => {
    assert.equal(atLeast('20.18.1', '>=20.18.1'), true);
    assert.equal(atLeast('v20.18.1', '>= 20.18.1'), true);
    assert.equal(atLeast('20.18.0', '>=20.18.1'), false);
    assert.equal(atLeast('20.9.0', '>=20.18.1'), false);
    assert.equal(atLeast('24.0.0', '>=20.18.1'), true);
    assert.equal(atLeast('18.20.4', '>=20.18.1'), false);
});
