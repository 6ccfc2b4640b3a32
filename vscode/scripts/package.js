// `npm run package`: dist/smdebug-local.vsix (@vscode/vsce), stamped with the version of the
// Python package (../smdebug_local/__init__.py, scripts/version.js): `vsce package <version>
// --no-update-package-json` writes it into the package's manifest and package.json only.
// Relative links of README.md resolve to the repository's vscode/ folder.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const { extensionVersion } = require('./version');

const root = path.join(__dirname, '..');
const initPy = path.join(root, '..', 'smdebug_local', '__init__.py');
const manifest = require(path.join(root, 'package.json'));

let version;
if (fs.existsSync(initPy)) {
    try {
        version = extensionVersion(fs.readFileSync(initPy, 'utf8'), initPy);
    } catch (err) {
        console.error(`smdebug-local extension: ${/** @type {Error} */ (err).message}`);
        process.exit(1);
    }
} else {
    version = manifest.version;
    console.error(`smdebug-local extension: warning: ${initPy} not found (vscode/ outside its repository): the package gets package.json's version ${version}, which may not be smdebug-local's`);
}

const repo = manifest.repository.url.replace(/\.git$/, '');
const folder = manifest.repository.directory;
const out = path.join('dist', 'smdebug-local.vsix');
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
const result = spawnSync(process.execPath, [
    require.resolve('@vscode/vsce/vsce'), 'package', version, '--no-update-package-json',
    '--no-dependencies',
    '--baseContentUrl', `${repo}/blob/HEAD/${folder}`,
    '--baseImagesUrl', `${repo}/raw/HEAD/${folder}`,
    '--out', out,
], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
    process.exit(result.status ?? 1);
}
console.log(`smdebug-local extension: ${out}: version ${version}`);
